"""Why an organiser's request is not done: one error type, carrying a code.

Services raise `OrganiserError(Problem.X, **details)`; each front end words
it in its own syntax (`bot.chat_texts.problem_text` with the chat's or the command
line's `Syntax`), so the command line never tells anyone to type `/pins`.
"""

from __future__ import annotations

from enum import StrEnum

from bot.storage import agenda, attendees
from bot.storage.records import AttendeeRow, SessionRow
from bot.storage.sql import Conn


class Problem(StrEnum):
    UNKNOWN_SESSION = "unknown_session"  # session_id
    UNKNOWN_ATTENDEE = "unknown_attendee"  # attendee_id
    NOTHING_TO_UNLINK = "nothing_to_unlink"  # attendee_id
    GENPINS_WHICH = "genpins_which"
    PIN_INVALID = "pin_invalid"  # pin, why (a bot.domain.pins.PinProblem)
    PINS_IDENTICAL = "pins_identical"
    PIN_TAKEN = "pin_taken"  # pin, direction, session_id
    SCANNER_SESSIONS_MISSING = "scanner_sessions_missing"
    USERNAME_NOT_SEEN = "username_not_seen"  # who
    WHO_UNKNOWN = "who_unknown"  # who
    ATTENDEE_NOT_LINKED = "attendee_not_linked"  # attendee_id, name
    NOT_A_SCANNER = "not_a_scanner"  # label
    ACCESS_STATE = "access_state"
    ACL_MODE = "acl_mode"
    REMINDER_MINUTES = "reminder_minutes"  # value
    CAPACITY_VALUE = "capacity_value"
    SHORTLINK_CODE = "shortlink_code"  # code
    UNKNOWN_SHORTLINK = "unknown_shortlink"  # code
    UNKNOWN_SHORTLINKS = "unknown_shortlinks"  # codes
    UNKNOWN_REPORT = "unknown_report"  # kind
    UNKNOWN_FORMAT = "unknown_format"  # fmt
    BADGE_FORMAT = "badge_format"  # fmt
    NO_SHORTLINKS = "no_shortlinks"
    NO_ATTENDEES = "no_attendees"
    EMPTY_QUERY = "empty_query"
    NO_MATCH = "no_match"  # query
    WINDOW_VALUE = "window_value"  # value
    ROTATION_VALUE = "rotation_value"  # value
    UNKNOWN_TIMEZONE = "unknown_timezone"  # name
    NO_PUBLIC_URL = "no_public_url"  # a display or dashboard link asked for without a web address
    ANNOUNCE_AUDIENCE = "announce_audience"
    ANNOUNCE_EMPTY = "announce_empty"
    ANNOUNCE_TOO_LONG = "announce_too_long"  # length, most, limit
    ANNOUNCE_FILE = "announce_file"
    CREDIT_RULE = "credit_rule"  # value


class OrganiserError(Exception):
    """A refusal the organiser can act on; `problem` says what, `details` fill the wording."""

    def __init__(self, problem: Problem, **details: object) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.details = details


def require_session(conn: Conn, session_id: str) -> SessionRow:
    session = agenda.get_session(conn, session_id.strip())
    if session is None:
        raise OrganiserError(Problem.UNKNOWN_SESSION, session_id=session_id)
    return session


def require_attendee(conn: Conn, attendee_id: str) -> AttendeeRow:
    attendee = attendees.get_attendee(conn, attendee_id.strip())
    if attendee is None:
        raise OrganiserError(Problem.UNKNOWN_ATTENDEE, attendee_id=attendee_id)
    return attendee


def require_public_url(settings) -> str:
    """The web server's public address, which every page link starts with (PUBLIC_URL)."""
    if not settings.public_url:
        raise OrganiserError(Problem.NO_PUBLIC_URL)
    return settings.public_url
