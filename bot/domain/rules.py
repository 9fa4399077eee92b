"""The rule engine: one pure function that judges an attendance attempt.

Every check-in method (badge scan, manual entry, PIN, shortlink) gathers the
facts about the attempt and calls `judge`; the service layer then writes what
the verdict says. Keeping the rules here, free of I/O, makes the order of the
checks (docs/product.md section 3) the single source of truth and lets the tests try
every combination.

Decisions where the product page is silent:

* Access control and capacity guard the door *in*. A check-out is always
  accepted (only PINs can check out), so leaving is never refused; an OUT with
  no earlier check-in is recorded and flagged, because losing it would lose the
  fact that the person was there.
* Capacity counts the people inside *other than the attendee*, so a person who
  is already inside a full room is told "already checked in", not "full".
* `already_checked_in` / `already_checked_out` write no row: repeating an
  attempt is harmless and must not inflate the log.
* Check-in windows guard every method, checked after the code or PIN is
  known to be good and before access control (docs/product.md section 8): a
  PIN shared in a group chat must not check anyone in from home the night
  before. A check-out may come later than a check-in (people leave after the
  end), so its window closes later. A scanner at the door may admit anyway.
* Only the scanner who saw a RED may admit that person anyway, and only for
  the reasons a person at the door can judge (not registered, full); a PIN or
  shortlink refusal has nobody at the door to override it. A scanner may undo
  their own GREEN within `UNDO_WINDOW`, for a mistaken scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Direction(StrEnum):
    """An attempt is IN or OUT; UNDO marks a log row that annuls an earlier one."""

    IN = "IN"
    OUT = "OUT"
    UNDO = "UNDO"


class Method(StrEnum):
    SCAN = "scan"
    PIN = "pin"
    SHORTLINK = "shortlink"
    MANUAL = "manual"


class AclMode(StrEnum):
    EXCLUDE_TARGETS = "exclude"  # only registered attendees are allowed in
    INCLUDE_TARGETS = "include"  # registered or targeted attendees are allowed in


class CodeStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    REVOKED = "revoked"


class Reason(StrEnum):
    OK = "ok"
    CHECKED_OUT_WITHOUT_CHECK_IN = "checked_out_without_check_in"
    SCANNER_NOT_PERMITTED = "scanner_not_permitted"
    INVALID_CODE = "invalid_code"
    REVOKED = "revoked"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    UNKNOWN_PIN = "unknown_pin"
    PIN_EXPIRED = "pin_expired"  # a rotating PIN from an older step
    TOO_EARLY = "too_early"
    CLOSED = "closed"
    NOT_REGISTERED = "not_registered"
    SESSION_FULL = "session_full"
    ALREADY_CHECKED_IN = "already_checked_in"
    ALREADY_CHECKED_OUT = "already_checked_out"
    UNDONE = "undo"  # the reason stored on an UNDO row, never a verdict


class ActionRefusal(StrEnum):
    """Why a scanner's action (choosing a session, scanning, overriding, undoing) is not done."""

    NOT_SCANNER = "not_scanner"
    NO_SESSION_CHOSEN = "no_session_chosen"
    UNKNOWN_SESSION = "unknown_session"
    SCANNER_NOT_PERMITTED = "scanner_not_permitted"
    NOT_OVERRIDABLE = "not_overridable"
    ALREADY_OVERRIDDEN = "already_overridden"
    CANNOT_UNDO = "cannot_undo"
    UNDO_TOO_LATE = "undo_too_late"
    ALREADY_UNDONE = "already_undone"


ACCEPTED_REASONS = frozenset({Reason.OK, Reason.CHECKED_OUT_WITHOUT_CHECK_IN})
OVERRIDABLE_REASONS = frozenset({Reason.TOO_EARLY, Reason.CLOSED, Reason.NOT_REGISTERED, Reason.SESSION_FULL})
# Count toward the PIN attempt limit: guessing, or passing on a rotating PIN that has expired.
WRONG_PIN_REASONS = frozenset({Reason.UNKNOWN_PIN, Reason.PIN_EXPIRED})
UNRECORDED_REASONS = frozenset({Reason.ALREADY_CHECKED_IN, Reason.ALREADY_CHECKED_OUT})
SCANNER_METHODS = frozenset({Method.SCAN, Method.MANUAL})
# Every reason `judge` can give a scan or a typed code.
SCANNER_REASONS = frozenset(
    {
        Reason.SCANNER_NOT_PERMITTED,
        Reason.INVALID_CODE,
        Reason.REVOKED,
        Reason.TOO_EARLY,
        Reason.CLOSED,
        Reason.NOT_REGISTERED,
        Reason.SESSION_FULL,
        Reason.ALREADY_CHECKED_IN,
        Reason.OK,
    }
)
UNDO_WINDOW = timedelta(minutes=15)  # every front end and its wording take the number from here


@dataclass(frozen=True)
class Attempt:
    """What was tried. Fields that do not apply to the method stay None."""

    direction: Direction
    method: Method
    override: bool = False
    scanner_permitted: bool | None = None  # scan / manual only
    code_status: CodeStatus | None = None  # scan / manual only
    pin_locked_until: datetime | None = None  # PIN only: set while too many wrong PINs
    pin_known: bool | None = None  # PIN only
    pin_expired: bool = False  # PIN only: a rotating PIN whose time has passed


@dataclass(frozen=True)
class WindowSettings:
    """The event-wide default check-in window, relative to each session's times."""

    opens_before: timedelta = timedelta(minutes=30)  # check-ins open this long before the start
    closes_after: timedelta = timedelta(0)  # and close this long after the end
    checkout_after: timedelta = timedelta(minutes=60)  # check-outs are accepted this long after the end


@dataclass(frozen=True)
class Window:
    """When a session accepts attempts, both ends included."""

    opens: datetime
    closes: datetime


def attendance_window(
    direction: Direction,
    starts: datetime,
    ends: datetime,
    defaults: WindowSettings,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
) -> Window:
    """The window for a session: `opens_at` / `closes_at` are the session's own
    times (the sessions file's `checkin_opens` / `checkin_closes`), else the
    event-wide defaults apply. A check-out window opens with the check-in window
    and closes `checkout_after` the end, or with the check-in window if later."""
    opens = opens_at or starts - defaults.opens_before
    closes = closes_at or ends + defaults.closes_after
    if direction is Direction.OUT:
        closes = max(closes, ends + defaults.checkout_after)
    return Window(opens, closes)


@dataclass(frozen=True)
class Situation:
    """The attendee at the session, as the database sees it right now."""

    access_control: bool
    acl_mode: AclMode
    capacity: int | None
    others_inside: int
    registered: bool
    targeted: bool
    last_direction: Direction | None  # last accepted, not undone, record at the session
    last_at: datetime | None = None
    window: Window | None = None  # None: the session takes attempts at any time
    now: datetime | None = None  # when the attempt was made (needed with a window)

    @property
    def allowed_in(self) -> bool:
        if self.registered:
            return True
        return self.acl_mode is AclMode.INCLUDE_TARGETS and self.targeted


@dataclass(frozen=True)
class Verdict:
    reason: Reason
    locked_until: datetime | None = None
    earlier_at: datetime | None = None
    window_at: datetime | None = None  # too early: when the window opens; closed: when it closed

    @property
    def accepted(self) -> bool:
        return self.reason in ACCEPTED_REASONS

    @property
    def recorded(self) -> bool:
        """Whether the attempt becomes a row of the attendance log."""
        return self.reason not in UNRECORDED_REASONS


def overridable(reason: Reason, method: Method) -> bool:
    """Whether a refusal may be admitted anyway by the scanner who saw it."""
    return reason in OVERRIDABLE_REASONS and method in SCANNER_METHODS


def undoable(accepted: bool, direction: Direction, method: Method) -> bool:
    """Whether a record is a scanner's GREEN, which that scanner may undo."""
    return accepted and direction is Direction.IN and method in SCANNER_METHODS


def undo_deadline(accepted_at: datetime) -> datetime:
    """Until when the scanner who gave a GREEN at `accepted_at` may undo it."""
    return accepted_at + UNDO_WINDOW


def undo_window_minutes() -> int:
    """`UNDO_WINDOW` in whole minutes, as the wording says it."""
    return UNDO_WINDOW // timedelta(minutes=1)


def override_refusal(
    reason: Reason, method: Method, scanned_by: int | None, scanner: int, already_answered: bool
) -> ActionRefusal | None:
    """Why `scanner` may not admit anyway the refused attempt described, or None if they may."""
    if not overridable(reason, method) or scanned_by != scanner:
        return ActionRefusal.NOT_OVERRIDABLE
    if already_answered:
        return ActionRefusal.ALREADY_OVERRIDDEN
    return None


def undo_refusal(
    accepted: bool,
    direction: Direction,
    method: Method,
    scanned_by: int | None,
    scanner: int,
    age: timedelta,
    already_undone: bool,
) -> ActionRefusal | None:
    """Why `scanner` may not undo the record described, or None if they may."""
    if not undoable(accepted, direction, method) or scanned_by != scanner:
        return ActionRefusal.CANNOT_UNDO
    if age > UNDO_WINDOW:
        return ActionRefusal.UNDO_TOO_LATE
    if already_undone:
        return ActionRefusal.ALREADY_UNDONE
    return None


def judge(attempt: Attempt, situation: Situation | None) -> Verdict:
    """Judge one attempt, checking the rules in the product's order.

    `situation` may be None only when the attempt fails before an attendee and
    a session are known (a scanner without permission, a bad code, a wrong or
    locked PIN); reaching a rule that needs it without one is a programming
    error.
    """
    if attempt.method in SCANNER_METHODS:
        if not attempt.scanner_permitted:
            return Verdict(Reason.SCANNER_NOT_PERMITTED)
        if attempt.code_status is CodeStatus.INVALID:
            return Verdict(Reason.INVALID_CODE)
        if attempt.code_status is CodeStatus.REVOKED:
            return Verdict(Reason.REVOKED)
        if attempt.code_status is not CodeStatus.VALID:
            raise ValueError("a scan needs a code status")
    if attempt.direction is Direction.UNDO:
        raise ValueError("an undo is not an attempt")
    if attempt.method is Method.PIN:
        # Refuse every PIN while locked, the right one too: otherwise a guesser
        # would learn which guess was right from the different answer.
        if attempt.pin_locked_until is not None:
            return Verdict(Reason.TOO_MANY_ATTEMPTS, locked_until=attempt.pin_locked_until)
        if attempt.pin_expired:
            return Verdict(Reason.PIN_EXPIRED)
        if not attempt.pin_known:
            return Verdict(Reason.UNKNOWN_PIN)
    elif attempt.direction is Direction.OUT:
        raise ValueError("only a PIN can check out")

    if situation is None:
        raise ValueError("the remaining rules need the attendee's situation at the session")

    if situation.window is not None and not attempt.override:
        if situation.now is None:
            raise ValueError("a window needs the time of the attempt")
        if situation.now < situation.window.opens:
            return Verdict(Reason.TOO_EARLY, window_at=situation.window.opens)
        if situation.now > situation.window.closes:
            return Verdict(Reason.CLOSED, window_at=situation.window.closes)

    if attempt.direction is Direction.IN:
        if not attempt.override:
            if situation.access_control and not situation.allowed_in:
                return Verdict(Reason.NOT_REGISTERED)
            if situation.capacity is not None and situation.others_inside >= situation.capacity:
                return Verdict(Reason.SESSION_FULL)
        if situation.last_direction is Direction.IN:
            return Verdict(Reason.ALREADY_CHECKED_IN, earlier_at=situation.last_at)
        return Verdict(Reason.OK)

    if situation.last_direction is Direction.OUT:
        return Verdict(Reason.ALREADY_CHECKED_OUT, earlier_at=situation.last_at)
    if situation.last_direction is None:
        return Verdict(Reason.CHECKED_OUT_WITHOUT_CHECK_IN)
    return Verdict(Reason.OK)


def pin_locked_until(wrong_attempts: list[datetime], limit: int, window, now: datetime) -> datetime | None:
    """When PIN entry opens again, or None if it is open now.

    `wrong_attempts` are the times of the attendee's wrong PINs. Entry is locked
    while `limit` or more of them fall within the last `window`; it opens when
    the oldest of the most recent `limit` leaves the window.
    """
    recent = sorted(t for t in wrong_attempts if now - t < window)
    if len(recent) < limit:
        return None
    return recent[-limit] + window
