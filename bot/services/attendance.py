"""Recording attendance: every method gathers facts, asks the rule engine, writes the verdict.

Each use case runs in one transaction, so a check-in and its log row, the
attendee's presence and the update's idempotency mark commit together or not
at all. Log rows carry the Telegram `update_id` that caused them: when an
update is processed again after a crash, the recorded outcome is returned
instead of judging again, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import pins
from bot.domain.rules import (
    WRONG_PIN_REASONS,
    AclMode,
    Attempt,
    Direction,
    Method,
    Reason,
    Situation,
    Verdict,
    judge,
    pin_locked_until,
)
from bot.services.context import AppContext, Person, writes
from bot.services.event import session_window, stored_window_settings, window_settings_of
from bot.services.people import identify
from bot.storage import agenda, attendance_log, attendees, event_settings, shortlink_codes
from bot.storage.records import AttendeeRow, LogEntry, LogRow, SessionRow
from bot.storage.sql import Conn


@dataclass(frozen=True)
class AttemptResult:
    """What happened to one attempt, with everything a reply needs."""

    verdict: Verdict
    direction: Direction
    method: Method
    at: datetime
    attendee: AttendeeRow | None = None
    session: SessionRow | None = None
    registered: bool | None = None
    targeted: bool | None = None
    inside_now: int | None = None
    log_id: int | None = None
    replayed: bool = False
    override: bool = False


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    direction: str
    method: str
    session: SessionRow


def acl_mode_of(stored: str | None) -> AclMode:
    """Event-wide access-control preference; 'exclude targets' (registered only) by default."""
    return AclMode(stored or AclMode.EXCLUDE_TARGETS)


def acl_mode(conn: Conn) -> AclMode:
    return acl_mode_of(event_settings.get_setting(conn, "acl_mode"))


def judge_and_record(
    conn: Conn,
    ctx: AppContext,
    attempt: Attempt,
    *,
    attendee: AttendeeRow | None,
    session: SessionRow | None,
    actor_user_id: int,
    scanner_user_id: int | None = None,
    update_id: int | None = None,
    item: int = 0,
    detail: str = "",
    ref_id: int | None = None,
    at: datetime | None = None,
    source: str = "chat",
    request_id: str | None = None,
) -> AttemptResult:
    """Judge an attempt against the database's current state and write what the verdict says.

    `at` is when the attempt was made, if not now: a Mini App that lost its connection
    sends its scans later, and each is judged at its scan time (its window, its row's time).
    """
    now = at or ctx.clock()
    situation = None
    registered = targeted = None
    others = None
    if attendee is not None and session is not None:
        facts = attendance_log.attendance_facts(conn, attendee.attendee_id, session.session_id)
        registered, targeted, others = facts.registered, facts.targeted, facts.others_inside
        situation = Situation(
            access_control=session.access_control,
            acl_mode=acl_mode_of(facts.acl_mode),
            capacity=session.capacity,
            others_inside=others,
            registered=registered,
            targeted=targeted,
            last_direction=Direction(facts.last_direction) if facts.last_direction else None,
            last_at=facts.last_at,
            window=session_window(session, attempt.direction, window_settings_of(facts.window_settings)),
            now=now,
        )
    verdict = judge(attempt, situation)
    log_id = None
    if verdict.recorded:
        log_id = attendance_log.insert_log(
            conn,
            LogEntry(
                at=now,
                direction=attempt.direction,
                method=attempt.method,
                accepted=verdict.accepted,
                reason=verdict.reason,
                attendee_id=attendee.attendee_id if attendee else None,
                session_id=session.session_id if session else None,
                override=attempt.override,
                registered=registered,
                targeted=targeted,
                actor_user_id=actor_user_id,
                scanner_user_id=scanner_user_id,
                ref_id=ref_id,
                update_id=update_id,
                item=item,
                detail=detail,
                source=source,
                request_id=request_id,
            ),
        )
        if verdict.accepted:
            attendance_log.set_presence(conn, attendee.attendee_id, session.session_id, attempt.direction, log_id)
            ctx.attendance_changed(session.session_id)
    inside_now = None
    if others is not None:
        inside = (verdict.accepted and attempt.direction is Direction.IN) or (
            verdict.reason is Reason.ALREADY_CHECKED_IN
        )
        inside_now = others + int(inside)
    return AttemptResult(
        verdict,
        attempt.direction,
        attempt.method,
        now,
        attendee,
        session,
        registered,
        targeted,
        inside_now,
        log_id,
        override=attempt.override,
    )


def replayed_results(conn: Conn, ctx: AppContext, update_id: int | None) -> list[AttemptResult]:
    """Outcomes already recorded for this update (it is being processed again after a restart)."""
    if update_id is None:
        return []
    return [replayed_result(conn, ctx, row) for row in attendance_log.log_rows_for_update(conn, update_id)]


def replayed_result(conn: Conn, ctx: AppContext, row: LogRow) -> AttemptResult:
    """The outcome a log row records, as a reply needs it (for a request received again)."""
    attendee = attendees.get_attendee(conn, row.attendee_id) if row.attendee_id else None
    session = agenda.get_session(conn, row.session_id) if row.session_id else None
    inside = attendance_log.people_inside(conn, session.session_id) if session else None
    return AttemptResult(
        _recorded_verdict(conn, ctx, row, session),
        Direction(row.direction),
        Method(row.method),
        row.at,
        attendee,
        session,
        row.registered,
        row.targeted,
        inside,
        row.id,
        replayed=True,
        override=row.override,
    )


def _recorded_verdict(conn: Conn, ctx: AppContext, row: LogRow, session: SessionRow | None) -> Verdict:
    """A stored verdict with the times its reply names, worked out again as they were at `row.at`."""
    reason = Reason(row.reason)
    if reason in (Reason.TOO_EARLY, Reason.CLOSED) and session is not None:
        window = session_window(session, Direction(row.direction), stored_window_settings(conn))
        return Verdict(reason, window_at=window.opens if reason is Reason.TOO_EARLY else window.closes)
    if reason is Reason.TOO_MANY_ATTEMPTS:
        return Verdict(reason, locked_until=_pin_lock(conn, ctx, row.actor_user_id, row.at))
    return Verdict(reason)


def _pin_lock(conn: Conn, ctx: AppContext, user_id: int, now: datetime) -> datetime | None:
    """When PIN entry opens again for `user_id`, as seen at `now`."""
    window, limit = ctx.settings.pin_attempt_window, ctx.settings.pin_attempt_limit
    wrong = attendance_log.wrong_pin_times(conn, user_id, now - window, WRONG_PIN_REASONS)
    return pin_locked_until(wrong, limit, window, now)


@dataclass(frozen=True)
class PinOutcome:
    """`result` is None when the sender is not an attendee (closed registration)."""

    result: AttemptResult | None


def pin_attempt(conn: Conn, ctx: AppContext, person: Person, text: str, update_id: int | None = None) -> PinOutcome:
    """An attendee sent a PIN: the IN PIN checks in, the OUT PIN checks out.

    Wrong PINs are counted per Telegram account from the log itself, so the
    limit survives restarts and needs no separate state.
    """
    pin = pins.normalise_input(text)
    attendee = identify(conn, ctx, person)
    if attendee is None:
        return PinOutcome(None)
    replay = replayed_results(conn, ctx, update_id)
    if replay:
        return PinOutcome(replay[0])
    now = ctx.clock()
    locked = _pin_lock(conn, ctx, person.user_id, now)
    found = expired = None
    if not locked:
        found = agenda.session_for_pin(conn, pin)
        if found is None:
            found, expired = _rotating_pin_session(conn, pin, now)
    session = found[0] if found else expired
    attempt = Attempt(
        Direction(found[1]) if found else Direction.IN,
        Method.PIN,
        pin_locked_until=locked,
        pin_known=found is not None,
        pin_expired=expired is not None,
    )
    result = judge_and_record(
        conn,
        ctx,
        attempt,
        attendee=attendee,
        session=session,
        actor_user_id=person.user_id,
        update_id=update_id,
        detail="" if found else pin,
    )
    return PinOutcome(result)


def _rotating_pin_session(
    conn: Conn, pin: str, now: datetime
) -> tuple[tuple[SessionRow, str] | None, SessionRow | None]:
    """(the session whose rotating IN PIN this is now, with "IN"), or (None, the session whose
    rotating PIN it was a while ago), or (None, None)."""
    expired = None
    for session, secret in agenda.rotating_sessions(conn):
        age = pins.rotating_pin_age(pin, secret, session.pin_rotation_seconds, now)
        if age is pins.PinAge.CURRENT:
            return (session, "IN"), None
        if age is pins.PinAge.EXPIRED:
            expired = session
    return None, expired


@writes
def pin_from_link(conn: Conn, ctx: AppContext, person: Person, pin: str, update_id: int | None = None) -> PinOutcome:
    """`/start pin-K7PX3M` from a room display's QR code: the same as typing the PIN."""
    return pin_attempt(conn, ctx, person, pin, update_id)


@writes
def my_attendance(conn: Conn, ctx: AppContext, person: Person) -> list[HistoryEntry] | None:
    """The sender's check-ins and check-outs, newest first; None if not an attendee."""
    attendee = identify(conn, ctx, person)
    if attendee is None:
        return None
    return [
        HistoryEntry(row.at, row.direction, row.method, session)
        for row, session in attendance_log.attendee_history(conn, attendee.attendee_id)
    ]


@dataclass(frozen=True)
class ShortlinkOutcome:
    """`known` is False for an unknown or removed code; `result` is None when the
    sender is not an attendee (closed registration)."""

    known: bool
    result: AttemptResult | None = None
    popup: str = ""  # the organiser's message, shown with what was recorded


@writes
def follow_shortlink(
    conn: Conn, ctx: AppContext, person: Person, code: str, update_id: int | None = None
) -> ShortlinkOutcome:
    """An attendee opened `https://t.me/<bot>?start=<code>` from an onsite QR: check in.

    A shortlink only ever checks in (like a badge scan); leaving needs the OUT PIN.
    Codes are compared without regard to case, like every id of the event.
    """
    link = shortlink_codes.get(conn, code.upper())
    if link is None:
        return ShortlinkOutcome(False)
    attendee = identify(conn, ctx, person)
    if attendee is None:
        return ShortlinkOutcome(True)
    session = agenda.get_session(conn, link.session_id)
    popup = link.popup
    replay = replayed_results(conn, ctx, update_id)
    if replay:
        return ShortlinkOutcome(True, replay[0], popup)
    result = judge_and_record(
        conn,
        ctx,
        Attempt(Direction.IN, Method.SHORTLINK),
        attendee=attendee,
        session=session,
        actor_user_id=person.user_id,
        update_id=update_id,
        detail=link.code,
    )
    return ShortlinkOutcome(True, result, popup)
