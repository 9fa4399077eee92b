"""Door staff (scanners): choosing a session, and their requests for the one check-in pipeline
(`bot.services.checkin`): badge codes in the chat, Mini App scans, Admit anyway and Undo.

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
from bot.services.checkin import Annulment, Asker, Planned, RequestKey
from bot.services.context import AppContext, Person, reads, writes
from bot.storage import agenda, attendance_log, attendees, scanner_assignments
from bot.storage.records import AttendeeRow, SessionRow
from bot.storage.sql import Conn

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
    The check-in asks again (`BadgeCodes`), because an assignment can change meanwhile.
    """
    row = scanner_assignments.get_scanner(conn, user_id)
    if row is None:
        return ActionRefusal.NOT_SCANNER
    if row.current_session_id is None:
        return ActionRefusal.NO_SESSION_CHOSEN
    return None


class _DoorRequest:
    """Door staff's methods: whoever sends it must be a scanner (checked on every request, so a
    scanner removed a moment ago is refused at once)."""

    def allowed(self, conn: Conn, ctx: AppContext, person: Person) -> Asker:
        row = scanner_assignments.get_scanner(conn, person.user_id)
        if row is None:
            raise ScanRefusal(ActionRefusal.NOT_SCANNER)
        return Asker(person, scanner=row)

    def popup(self, conn: Conn) -> str:
        return ""


@dataclass(frozen=True)
class BadgeCodes(_DoorRequest):
    """Every code read from one photo in the chat, or one typed there, for the session the
    scanner chose with `/scan`. A typed text is a badge code or an attendee id (`manual`);
    a photo's codes must be badge codes, anything else in a QR is `invalid_code`."""

    codes: tuple[str, ...]
    method: Method

    def look_up(self, conn: Conn, ctx: AppContext, asker: Asker) -> list[Planned]:
        row = asker.scanner
        session = agenda.get_session(conn, row.current_session_id) if row.current_session_id else None
        if session is None:
            raise ScanRefusal(ActionRefusal.NO_SESSION_CHOSEN)
        return [_door_attempt(conn, ctx, asker, session, code, self.method) for code in self.codes]


@dataclass(frozen=True)
class DoorScan(_DoorRequest):
    """One code from the scanner Mini App: read by the camera, or typed from a damaged badge.

    Unlike a photo in the chat, the session comes with every request (the page shows it), and
    the scanner's chat choice (`/scan`) is left alone.
    """

    session_id: str
    code: str
    typed: bool
    scanned_at: datetime  # judged at this time (scans wait on the phone while it is offline)

    def look_up(self, conn: Conn, ctx: AppContext, asker: Asker) -> list[Planned]:
        session = agenda.get_session(conn, self.session_id)
        if session is None:
            raise ScanRefusal(ActionRefusal.UNKNOWN_SESSION)
        method = Method.MANUAL if self.typed else Method.SCAN
        return [_door_attempt(conn, ctx, asker, session, self.code, method, at=self.scanned_at)]


def _door_attempt(
    conn: Conn,
    ctx: AppContext,
    asker: Asker,
    session: SessionRow,
    code: str,
    method: Method,
    at: datetime | None = None,
) -> Planned:
    """A badge code (or, typed, an attendee id) at a session's door.

    A scanner who is not (or no longer) allowed at this session gets the engine's
    `scanner_not_permitted` verdict, recorded like any refusal, from the chat and the Mini
    App alike: the organiser's report shows the attempt, and the person at the door is told.
    """
    attendee, status = _resolve_code(conn, ctx, code, allow_attendee_id=method is Method.MANUAL)
    permitted = asker.scanner.may_scan(session.session_id)
    attempt = Attempt(Direction.IN, method, scanner_permitted=permitted, code_status=status)
    detail = "" if attendee else code[:64]
    return Planned(attempt, attendee, session, scanner_user_id=asker.person.user_id, detail=detail, at=at)


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


class _AnswerToRow:
    """Admit anyway and Undo answer a log row: anyone may ask, and the rule engine decides from
    the row whether this person may (`override_refusal`, `undo_refusal`), then whether they are
    still allowed at the row's session."""

    def allowed(self, conn: Conn, ctx: AppContext, person: Person) -> Asker:
        return Asker(person, scanner=scanner_assignments.get_scanner(conn, person.user_id))

    def popup(self, conn: Conn) -> str:
        return ""


@dataclass(frozen=True)
class Override(_AnswerToRow):
    """Admit anyway: a new accepted IN row, marked as an override, naming the scanner."""

    refused_log_id: int

    def look_up(self, conn: Conn, ctx: AppContext, asker: Asker) -> list[Planned]:
        row = attendance_log.get_log_row(conn, self.refused_log_id)
        if row is None:
            raise ScanRefusal(ActionRefusal.NOT_OVERRIDABLE)
        refusal = override_refusal(
            Reason(row.reason),
            Method(row.method),
            row.scanner_user_id,
            asker.person.user_id,
            attendance_log.is_referenced(conn, row.id),
        )
        _refuse_unless_permitted(refusal, asker, row.session_id)
        attempt = Attempt(
            Direction.IN, Method(row.method), override=True, scanner_permitted=True, code_status=CodeStatus.VALID
        )
        attendee = attendees.get_attendee(conn, row.attendee_id)
        session = agenda.get_session(conn, row.session_id)
        return [Planned(attempt, attendee, session, scanner_user_id=asker.person.user_id, ref_id=row.id)]


@dataclass(frozen=True)
class Undo(_AnswerToRow):
    """Annul one of the scanner's own check-ins within the engine's `UNDO_WINDOW`: a new UNDO row."""

    log_id: int

    def look_up(self, conn: Conn, ctx: AppContext, asker: Asker) -> list[Annulment]:
        row = attendance_log.get_log_row(conn, self.log_id)
        if row is None:
            raise ScanRefusal(ActionRefusal.CANNOT_UNDO)
        refusal = undo_refusal(
            row.accepted,
            Direction(row.direction),
            Method(row.method),
            row.scanner_user_id,
            asker.person.user_id,
            ctx.clock() - row.at,
            attendance_log.is_referenced(conn, row.id),
        )
        _refuse_unless_permitted(refusal, asker, row.session_id)
        return [Annulment(row)]


def _refuse_unless_permitted(refusal: ActionRefusal | None, asker: Asker, session_id: str) -> None:
    """Raise the rule engine's refusal, or refuse a scanner no longer allowed at this session."""
    if refusal is not None:
        raise ScanRefusal(refusal)
    if asker.scanner is None or not asker.scanner.may_scan(session_id):
        raise ScanRefusal(ActionRefusal.SCANNER_NOT_PERMITTED)


def miniapp_key(action: str, value: str | int) -> RequestKey:
    """The Mini App's request key: a scan carries the page's own scan id; Admit anyway and Undo
    are known by the row they answer (each row can be answered once), so a retried request
    finds what the first one recorded. The colon keeps them apart from any page's scan id."""
    return RequestKey.miniapp(str(value) if action == "scan" else f"{action}:{value}")
