"""Door scanners, for organisers: who scans for which sessions."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.context import AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem, require_session
from bot.storage import attendees, scanner_assignments


@dataclass(frozen=True)
class ScannerLine:
    user_id: int
    label: str
    all_sessions: bool
    session_ids: tuple[str, ...]
    current_session_id: str | None


def _resolve_person(conn, who: str) -> tuple[int, str]:
    """A Telegram user id from a numeric id, an @username or an attendee id.

    @usernames must belong to someone who has already written to the bot, because only then
    does Telegram tell us their numeric id; so must an attendee id, unless the attendees file
    gave that attendee's numeric Telegram id.
    """
    who = who.strip()
    if who.isdigit():
        return int(who), attendees.telegram_user_label(conn, int(who))
    if who.startswith("@"):
        user_id = attendees.user_id_for_username(conn, who[1:])
        if user_id is None:
            raise OrganiserError(Problem.USERNAME_NOT_SEEN, who=who)
        return user_id, who
    attendee = attendees.get_attendee(conn, who)
    if attendee is None:
        raise OrganiserError(Problem.WHO_UNKNOWN, who=who)
    label = f"{attendee.name} ({attendee.attendee_id})"
    if attendee.telegram_user_id is not None:
        return attendee.telegram_user_id, label
    # Not linked yet, but the attendees file may name their account: a numeric id is theirs for
    # good; an @username is known once that account has written to the bot.
    hint = attendee.telegram_hint or ""
    user_id = int(hint) if hint.isdigit() else attendees.user_id_for_username(conn, hint) if hint else None
    if user_id is None:
        raise OrganiserError(Problem.ATTENDEE_NOT_LINKED, attendee_id=attendee.attendee_id, name=attendee.name)
    return user_id, label


@writes
def assign_scanner(conn, ctx: AppContext, who: str, sessions: list[str]) -> ScannerLine | None:
    """`all`, `off`, or a list of session ids. Returns None when the scanner was removed."""
    if not sessions:
        raise OrganiserError(Problem.SCANNER_SESSIONS_MISSING)
    user_id, label = _resolve_person(conn, who)
    spec = [s.lower() for s in sessions]
    if spec == ["off"]:
        if not scanner_assignments.remove(conn, user_id):
            raise OrganiserError(Problem.NOT_A_SCANNER, label=label)
        return None
    if spec == ["all"]:
        scanner_assignments.assign(conn, user_id, True, [], ctx.clock())
    else:
        found = [require_session(conn, session_id).session_id for session_id in sessions]
        scanner_assignments.assign(conn, user_id, False, found, ctx.clock())
    row = scanner_assignments.get_scanner(conn, user_id)
    return ScannerLine(user_id, label, row.all_sessions, row.session_ids, row.current_session_id)


@reads
def list_scanners(conn, ctx: AppContext) -> list[ScannerLine]:
    return [
        ScannerLine(
            s.user_id,
            attendees.telegram_user_label(conn, s.user_id),
            s.all_sessions,
            s.session_ids,
            s.current_session_id,
        )
        for s in scanner_assignments.all_scanners(conn)
    ]
