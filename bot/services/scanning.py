"""Door staff (scanners): choosing a session, judging badge codes, override and undo.

A scanner is a Telegram account (organisers name it by attendee id, @username
or numeric id; see `admin_commands.operations.assign_scanner`). Permission is
checked on every scan, override and undo, not only when a session is chosen,
so removing a scanner takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain import badges
from bot.domain.rules import Attempt, CodeStatus, Direction, Method, Reason
from bot.services.attendance import AttemptResult, judge_and_record, replayed_results
from bot.services.context import AppContext, Person, read_only, transactional
from bot.storage import repo
from bot.storage import scanners as scanner_repo
from bot.storage.repo import SessionRow

UNDO_WINDOW = timedelta(minutes=15)


class ScanRefusal(Exception):
    """A scanner action that cannot be done; the message says why."""


@read_only
def is_scanner(conn, ctx: AppContext, user_id: int) -> bool:
    return scanner_repo.get_scanner(conn, user_id) is not None


@read_only
def scanner_ids(conn, ctx: AppContext) -> list[int]:
    return scanner_repo.scanner_ids(conn)


@read_only
def scannable_sessions(conn, ctx: AppContext, user_id: int) -> list[SessionRow] | None:
    """Sessions this scanner may scan for, running now first, then upcoming, then past;
    None if the user is not a scanner."""
    now = ctx.clock()
    scanner = scanner_repo.get_scanner(conn, user_id)
    if scanner is None:
        return None
    sessions = repo.all_sessions(conn)
    if not scanner.all_sessions:
        allowed = {s.upper() for s in scanner.session_ids}
        sessions = [s for s in sessions if s.session_id.upper() in allowed]

    def order(s: SessionRow) -> tuple[int, float]:
        if s.starts_at - timedelta(minutes=30) <= now <= s.ends_at:
            return (0, s.starts_at.timestamp())  # running (or about to start)
        if s.starts_at > now:
            return (1, s.starts_at.timestamp())  # upcoming, soonest first
        return (2, -s.ends_at.timestamp())  # past, most recent first

    return sorted(sessions, key=order)


@read_only
def current_session(conn, ctx: AppContext, user_id: int) -> SessionRow | None:
    """The session this scanner is scanning for now (kept in the database, so it survives a restart)."""
    scanner = scanner_repo.get_scanner(conn, user_id)
    if scanner is None or scanner.current_session_id is None:
        return None
    return repo.get_session(conn, scanner.current_session_id)


@transactional
def choose_session(conn, ctx: AppContext, user_id: int, session_id: str | None) -> SessionRow | None:
    """Start scanning for a session (None stops scanning)."""
    if scanner_repo.get_scanner(conn, user_id) is None:
        raise ScanRefusal("not_scanner")
    if session_id is None:
        scanner_repo.set_current_session(conn, user_id, None)
        return None
    session = repo.get_session(conn, session_id)
    if session is None:
        raise ScanRefusal("unknown_session")
    if not scanner_repo.may_scan(conn, user_id, session.session_id):
        raise ScanRefusal("scanner_not_permitted")
    scanner_repo.set_current_session(conn, user_id, session.session_id)
    return session


def judge_codes(
    conn, ctx: AppContext, scanner: Person, codes: list[str], method: Method, update_id: int | None = None
) -> list[AttemptResult]:
    """Judge every code read from one photo (or typed by the scanner), in one transaction.

    A typed text is a badge code or an attendee id (`manual`); a photo's codes
    must be badge codes, anything else in a QR is `invalid_code`.
    """
    replay = replayed_results(conn, update_id)
    if replay:
        return replay
    scanner_row = scanner_repo.get_scanner(conn, scanner.user_id)
    session = None
    if scanner_row and scanner_row.current_session_id:
        session = repo.get_session(conn, scanner_row.current_session_id)
    permitted = session is not None and scanner_repo.may_scan(conn, scanner.user_id, session.session_id)
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


scan_codes = transactional(judge_codes)


def _resolve_code(conn, ctx: AppContext, code: str, allow_attendee_id: bool):
    """(attendee, status) for a scanned or typed code."""
    claim = badges.read_token(ctx.badge_secret, code)
    if claim is not None:
        attendee = repo.get_attendee(conn, claim.attendee_id)
        if attendee is None:
            return None, CodeStatus.INVALID
        if claim.version != attendee.badge_version:
            return attendee, CodeStatus.REVOKED
        return attendee, CodeStatus.VALID
    if allow_attendee_id and not badges.looks_like_token(code):
        attendee = repo.get_attendee(conn, code.strip())
        if attendee is not None:
            return attendee, CodeStatus.VALID
    return None, CodeStatus.INVALID


@transactional
def override(
    conn, ctx: AppContext, scanner: Person, refused_log_id: int, update_id: int | None = None
) -> AttemptResult:
    """Admit anyway: a new accepted IN row, marked as an override, naming the scanner."""
    replay = replayed_results(conn, update_id)
    if replay:
        return replay[0]
    row = repo.get_log_row(conn, refused_log_id)
    # Only the scanner who saw the RED may admit: the button is in their chat,
    # and a PIN or shortlink refusal has nobody at the door to override it.
    if (
        row is None
        or row.reason not in (Reason.NOT_REGISTERED, Reason.SESSION_FULL)
        or row.method not in (Method.SCAN, Method.MANUAL)
        or row.scanner_user_id != scanner.user_id
    ):
        raise ScanRefusal("not_overridable")
    if not scanner_repo.may_scan(conn, scanner.user_id, row.session_id):
        raise ScanRefusal("scanner_not_permitted")
    if repo.is_referenced(conn, row.id):
        raise ScanRefusal("already_overridden")
    attendee = repo.get_attendee(conn, row.attendee_id)
    session = repo.get_session(conn, row.session_id)
    attempt = Attempt(
        Direction.IN, Method(row.method), override=True, scanner_permitted=True, code_status=CodeStatus.VALID
    )
    return judge_and_record(
        conn,
        ctx,
        attempt,
        attendee=attendee,
        session=session,
        actor_user_id=scanner.user_id,
        scanner_user_id=scanner.user_id,
        update_id=update_id,
        ref_id=row.id,
    )


@dataclass(frozen=True)
class UndoResult:
    attendee_name: str
    session: SessionRow
    inside_now: int


@transactional
def undo(conn, ctx: AppContext, scanner: Person, log_id: int) -> UndoResult:
    """Annul one of the scanner's own check-ins within 15 minutes: a new UNDO row."""
    now = ctx.clock()
    row = repo.get_log_row(conn, log_id)
    if row is None or not row.accepted or row.direction != "IN" or row.scanner_user_id != scanner.user_id:
        raise ScanRefusal("cannot_undo")
    if now - row.at > UNDO_WINDOW:
        raise ScanRefusal("undo_too_late")
    if repo.is_referenced(conn, row.id):
        raise ScanRefusal("already_undone")
    if not scanner_repo.may_scan(conn, scanner.user_id, row.session_id):
        raise ScanRefusal("scanner_not_permitted")
    repo.insert_log(
        conn,
        repo.LogEntry(
            at=now,
            direction="UNDO",
            method=row.method,
            accepted=True,
            reason="undo",
            attendee_id=row.attendee_id,
            session_id=row.session_id,
            actor_user_id=scanner.user_id,
            scanner_user_id=scanner.user_id,
            ref_id=row.id,
        ),
    )
    repo.recompute_presence(conn, row.attendee_id, row.session_id)
    attendee = repo.get_attendee(conn, row.attendee_id)
    session = repo.get_session(conn, row.session_id)
    return UndoResult(attendee.name, session, repo.people_inside(conn, session.session_id))
