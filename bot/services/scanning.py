"""Door staff (scanners): choosing a session, judging badge codes, override and undo.

A scanner is a Telegram account (organisers name it by attendee id, @username
or numeric id; see `bot.services.scanners.assign_scanner`). Permission is
checked on every scan, override and undo, not only when a session is chosen,
so removing a scanner takes effect at once. Who may override or undo what is
the rule engine's decision (`bot.domain.rules`); this module gathers the facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import badges
from bot.domain.rules import (
    ActionRefusal,
    Attempt,
    CodeStatus,
    Direction,
    Method,
    Reason,
    override_refusal,
    undo_refusal,
)
from bot.services.attendance import AttemptResult, judge_and_record, replayed_result, replayed_results
from bot.services.context import AppContext, Person, reads, writes
from bot.storage import agenda, attendance_log, attendees, scanner_assignments
from bot.storage.records import AttendeeRow, LogEntry, SessionRow
from bot.storage.scanner_assignments import ScannerRow
from bot.storage.sql import Conn

MINIAPP = "miniapp"  # the `source` of log rows written for the scanner Mini App
# A session counts as running from this long before its start (doors open early).
RUNNING_FROM = timedelta(minutes=30)


class ScanRefusal(Exception):
    """A scanner action that is not done; `reason` says why."""

    def __init__(self, reason: ActionRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@reads
def is_scanner(conn: Conn, ctx: AppContext, user_id: int) -> bool:
    return scanner_assignments.get_scanner(conn, user_id) is not None


@reads
def scanner_ids(conn: Conn, ctx: AppContext) -> list[int]:
    return scanner_assignments.scanner_ids(conn)


@reads
def scannable_sessions(conn: Conn, ctx: AppContext, user_id: int) -> list[SessionRow]:
    """Sessions this scanner may scan for, running now first, then upcoming, then past."""
    now = ctx.clock()
    scanner = scanner_assignments.get_scanner(conn, user_id)
    if scanner is None:
        raise ScanRefusal(ActionRefusal.NOT_SCANNER)
    sessions = [s for s in agenda.all_sessions(conn) if scanner.may_scan(s.session_id)]

    def order(s: SessionRow) -> tuple[int, float]:
        if s.starts_at - RUNNING_FROM <= now <= s.ends_at:
            return (0, s.starts_at.timestamp())  # running (or about to start)
        if s.starts_at > now:
            return (1, s.starts_at.timestamp())  # upcoming, soonest first
        return (2, -s.ends_at.timestamp())  # past, most recent first

    return sorted(sessions, key=order)


@writes
def choose_session(conn: Conn, ctx: AppContext, user_id: int, session_id: str | None) -> SessionRow | None:
    """Start scanning for a session (None stops scanning)."""
    scanner = scanner_assignments.get_scanner(conn, user_id)
    if scanner is None:
        raise ScanRefusal(ActionRefusal.NOT_SCANNER)
    if session_id is None:
        scanner_assignments.set_current_session(conn, user_id, None)
        return None
    session = agenda.get_session(conn, session_id)
    if session is None:
        raise ScanRefusal(ActionRefusal.UNKNOWN_SESSION)
    if not scanner.may_scan(session.session_id):
        raise ScanRefusal(ActionRefusal.SCANNER_NOT_PERMITTED)
    scanner_assignments.set_current_session(conn, user_id, session.session_id)
    return session


@reads
def scan_refusal(conn: Conn, ctx: AppContext, user_id: int) -> ActionRefusal | None:
    """Why this person cannot scan now (not a scanner, no session chosen), or None.

    Asked before a photo is downloaded and decoded, the costly part (up to 20 MB
    and the whole decoding chain): nobody but door staff gets that work done.
    `scan_codes` asks again, because an assignment can change meanwhile.
    """
    row = scanner_assignments.get_scanner(conn, user_id)
    if row is None:
        return ActionRefusal.NOT_SCANNER
    if row.current_session_id is None:
        return ActionRefusal.NO_SESSION_CHOSEN
    return None


@writes
def scan_codes(
    conn: Conn, ctx: AppContext, scanner: Person, codes: list[str], method: Method, update_id: int | None = None
) -> list[AttemptResult]:
    """Judge every code read from one photo (or typed at the door), in one trip to the database.

    Refused with `ScanRefusal` when the sender is not a scanner or has not
    chosen a session; an empty `codes` only asks that question.
    """
    replay = replayed_results(conn, ctx, update_id)
    if replay:
        return replay
    row = scanner_assignments.get_scanner(conn, scanner.user_id)
    if row is None:
        raise ScanRefusal(ActionRefusal.NOT_SCANNER)
    return judge_codes(conn, ctx, scanner, row, codes, method, update_id)


@dataclass(frozen=True)
class DoorScan:
    """One code from the scanner Mini App: read by the camera, or typed from a damaged badge."""

    session_id: str
    code: str
    typed: bool
    request_id: str  # the page's id for this scan: a retried request is counted once
    scanned_at: datetime  # judged at this time (scans wait on the phone while it is offline)


@writes
def scan_at_door(conn: Conn, ctx: AppContext, scanner: Person, scan: DoorScan) -> AttemptResult:
    """Judge one Mini App scan for a session the scanner names, in one trip to the database.

    Unlike a photo in the chat, the session comes with every request (the page
    shows it), and the scanner's chat choice (`/scan`) is left alone.
    """
    recorded = attendance_log.log_rows_for_request(conn, scanner.user_id, scan.request_id)
    if recorded:
        return replayed_result(conn, ctx, recorded[0])
    row = scanner_assignments.get_scanner(conn, scanner.user_id)
    if row is None:
        raise ScanRefusal(ActionRefusal.NOT_SCANNER)
    session = agenda.get_session(conn, scan.session_id)
    if session is None:
        raise ScanRefusal(ActionRefusal.UNKNOWN_SESSION)
    if not row.may_scan(session.session_id):
        raise ScanRefusal(ActionRefusal.SCANNER_NOT_PERMITTED)
    method = Method.MANUAL if scan.typed else Method.SCAN
    attendee, status = _resolve_code(conn, ctx, scan.code, allow_attendee_id=scan.typed)
    attempt = Attempt(Direction.IN, method, scanner_permitted=True, code_status=status)
    return judge_and_record(
        conn,
        ctx,
        attempt,
        attendee=attendee,
        session=session,
        actor_user_id=scanner.user_id,
        scanner_user_id=scanner.user_id,
        detail="" if attendee else scan.code[:64],
        at=scan.scanned_at,
        source=MINIAPP,
        request_id=scan.request_id,
    )


def judge_codes(
    conn: Conn,
    ctx: AppContext,
    scanner: Person,
    row: ScannerRow,
    codes: list[str],
    method: Method,
    update_id: int | None,
) -> list[AttemptResult]:
    """The step `scan_codes` and a typed door code share, inside their transaction.

    A typed text is a badge code or an attendee id (`manual`); a photo's codes
    must be badge codes, anything else in a QR is `invalid_code`.
    """
    session = agenda.get_session(conn, row.current_session_id) if row.current_session_id else None
    if session is None:
        raise ScanRefusal(ActionRefusal.NO_SESSION_CHOSEN)
    permitted = row.may_scan(session.session_id)
    results = []
    for item, code in enumerate(codes):
        attendee, status = _resolve_code(conn, ctx, code, allow_attendee_id=method is Method.MANUAL)
        attempt = Attempt(Direction.IN, method, scanner_permitted=permitted, code_status=status)
        results.append(
            judge_and_record(
                conn,
                ctx,
                attempt,
                attendee=attendee,
                session=session,
                actor_user_id=scanner.user_id,
                scanner_user_id=scanner.user_id,
                update_id=update_id,
                item=item,
                detail="" if attendee else code[:64],
            )
        )
    return results


def _resolve_code(
    conn: Conn, ctx: AppContext, code: str, allow_attendee_id: bool
) -> tuple[AttendeeRow | None, CodeStatus]:
    """(attendee, status) for a scanned or typed code."""
    claim = badges.read_token(ctx.badge_secret, code)
    if claim is not None:
        attendee = attendees.get_attendee(conn, claim.attendee_id)
        if attendee is None:
            return None, CodeStatus.INVALID
        if claim.version != attendee.badge_version:
            return attendee, CodeStatus.REVOKED
        return attendee, CodeStatus.VALID
    if allow_attendee_id and not badges.looks_like_token(code):
        attendee = attendees.get_attendee(conn, code.strip())
        if attendee is not None:
            return attendee, CodeStatus.VALID
    return None, CodeStatus.INVALID


@writes
def override(
    conn: Conn,
    ctx: AppContext,
    scanner: Person,
    refused_log_id: int,
    update_id: int | None = None,
    source: str = "chat",
) -> AttemptResult:
    """Admit anyway: a new accepted IN row, marked as an override, naming the scanner."""
    replay = replayed_results(conn, ctx, update_id)
    if replay:
        return replay[0]
    row = attendance_log.get_log_row(conn, refused_log_id)
    if row is None:
        raise ScanRefusal(ActionRefusal.NOT_OVERRIDABLE)
    refusal = override_refusal(
        Reason(row.reason),
        Method(row.method),
        row.scanner_user_id,
        scanner.user_id,
        attendance_log.is_referenced(conn, row.id),
    )
    _refuse_unless_permitted(conn, refusal, scanner, row.session_id)
    attempt = Attempt(
        Direction.IN, Method(row.method), override=True, scanner_permitted=True, code_status=CodeStatus.VALID
    )
    return judge_and_record(
        conn,
        ctx,
        attempt,
        attendee=attendees.get_attendee(conn, row.attendee_id),
        session=agenda.get_session(conn, row.session_id),
        actor_user_id=scanner.user_id,
        scanner_user_id=scanner.user_id,
        update_id=update_id,
        ref_id=row.id,
        source=source,
    )


@dataclass(frozen=True)
class UndoResult:
    attendee_name: str
    session: SessionRow
    inside_now: int


@writes
def undo(conn: Conn, ctx: AppContext, scanner: Person, log_id: int, source: str = "chat") -> UndoResult:
    """Annul one of the scanner's own check-ins within the undo window: a new UNDO row."""
    now = ctx.clock()
    row = attendance_log.get_log_row(conn, log_id)
    if row is None:
        raise ScanRefusal(ActionRefusal.CANNOT_UNDO)
    refusal = undo_refusal(
        row.accepted,
        Direction(row.direction),
        Method(row.method),
        row.scanner_user_id,
        scanner.user_id,
        now - row.at,
        attendance_log.is_referenced(conn, row.id),
    )
    _refuse_unless_permitted(conn, refusal, scanner, row.session_id)
    attendance_log.insert_log(
        conn,
        LogEntry(
            at=now,
            direction=Direction.UNDO,
            method=row.method,
            accepted=True,
            reason=Reason.UNDONE,
            attendee_id=row.attendee_id,
            session_id=row.session_id,
            actor_user_id=scanner.user_id,
            scanner_user_id=scanner.user_id,
            ref_id=row.id,
            source=source,
        ),
    )
    attendance_log.recompute_presence(conn, row.attendee_id, row.session_id)
    ctx.attendance_changed(row.session_id)
    attendee = attendees.get_attendee(conn, row.attendee_id)
    session = agenda.get_session(conn, row.session_id)
    return UndoResult(attendee.name, session, attendance_log.people_inside(conn, session.session_id))


def _refuse_unless_permitted(conn: Conn, refusal: ActionRefusal | None, scanner: Person, session_id: str) -> None:
    """Raise the rule engine's refusal, or refuse a scanner no longer allowed at this session."""
    if refusal is not None:
        raise ScanRefusal(refusal)
    row = scanner_assignments.get_scanner(conn, scanner.user_id)
    if row is None or not row.may_scan(session_id):
        raise ScanRefusal(ActionRefusal.SCANNER_NOT_PERMITTED)
