"""The one path of every check-in: already handled? → who may ask → look the code up → judge and record.

Every method goes through `run`: a PIN (typed, or from a room display's QR code), an onsite
shortlink, a badge photo or a typed code in the chat, a Mini App scan, Admit anyway and Undo.
A method is a small request object (`bot.services.attendance` for attendees' methods,
`bot.services.scanning` for door staff's) that knows two stages of its own:

* `allowed`: who is asking, as the method needs them (an attendee, linked or created by
  `people.identify`; a door scanner). A person turned away here gets a `NotDone` code, or
  door staff a `ScanRefusal`, and nothing is recorded.
* `look_up`: what the request names (the session of a PIN, the attendee of a badge code,
  the log row to override or undo), as `Planned` attempts. A door action the rule engine
  refuses (`override_refusal`, `undo_refusal`) raises `ScanRefusal` here.

The stages before and after are the same for every method:

* **Already handled.** A request is known by its `RequestKey`: Telegram's `update_id` in
  the chat, the page's scan id in the Mini App. Every log row a request writes carries its
  key, so a request received again (after a crash, or a phone's retry) is answered from
  the rows it wrote, and never judged or counted twice.
* **Judge and record.** The rule engine (`bot.domain.rules.judge`) judges each attempt
  against the database's state now, and the verdict is written in the same transaction.

`run` is a step inside a transaction (the use cases that combine it, such as `/start`
with a payload or a text that may be a PIN, call it); `check_in` is the same as a use case
of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

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
from bot.storage import agenda, attendance_log, attendees, event_settings
from bot.storage.records import AttendeeRow, LogEntry, LogRow, SessionRow
from bot.storage.scanner_assignments import ScannerRow
from bot.storage.sql import Conn

CHAT, MINIAPP = "chat", "miniapp"  # the front end a request came from: the `source` of its log rows


@dataclass(frozen=True)
class RequestKey:
    """Which request this is: one received again is answered from what it recorded."""

    source: str
    update_id: int | None = None  # the chat: Telegram's id of the update
    request_id: str | None = None  # the Mini App: the page's id for the request, per scanner

    @classmethod
    def chat(cls, update_id: int | None) -> RequestKey:
        return cls(CHAT, update_id=update_id)

    @classmethod
    def miniapp(cls, request_id: str) -> RequestKey:
        return cls(MINIAPP, request_id=request_id)


class NotDone(StrEnum):
    """Why a check-in request was turned away before anything was judged (nothing is recorded)."""

    NOT_ON_LIST = "not_on_list"  # not an attendee, and registration is closed
    UNKNOWN_SHORTLINK = "unknown_shortlink"


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
class Asker:
    """Who is asking, as the `allowed` stage found them."""

    person: Person
    attendee: AttendeeRow | None = None  # attendees' methods
    scanner: ScannerRow | None = None  # door staff's methods (None: not a scanner)


@dataclass(frozen=True)
class Planned:
    """One attempt for the engine to judge, as the `look_up` stage found it."""

    attempt: Attempt
    attendee: AttendeeRow | None
    session: SessionRow | None
    scanner_user_id: int | None = None
    detail: str = ""  # what was sent, when it names nobody (an unknown PIN, an invalid code)
    ref_id: int | None = None  # the log row this one answers (Admit anyway)
    at: datetime | None = None  # when the attempt was made, if not now (a scan queued offline)


@dataclass(frozen=True)
class Annulment:
    """An undo the engine allowed: the accepted row to annul."""

    row: LogRow


class CheckinRequest(Protocol):
    def allowed(self, conn: Conn, ctx: AppContext, person: Person) -> Asker | NotDone: ...

    def look_up(self, conn: Conn, ctx: AppContext, asker: Asker) -> Sequence[Planned | Annulment] | NotDone: ...

    def popup(self, conn: Conn) -> str:
        """What the organiser asked to show with the reply (a shortlink's message), else ""."""
        ...


@dataclass(frozen=True)
class CheckinOutcome:
    """The results, one per attempt (a photo can hold several badges); or why nothing was done."""

    results: tuple[AttemptResult, ...] = ()
    not_done: NotDone | None = None
    popup: str = ""

    @property
    def result(self) -> AttemptResult | None:
        return self.results[0] if self.results else None


def run(conn: Conn, ctx: AppContext, person: Person, request: CheckinRequest, key: RequestKey) -> CheckinOutcome:
    """Take one check-in request through the pipeline, inside the caller's transaction."""
    recorded = attendance_log.log_rows_for_request(conn, person.user_id, key.update_id, key.request_id)
    if recorded:
        return CheckinOutcome(tuple(replayed_result(conn, ctx, row) for row in recorded), popup=request.popup(conn))
    asker = request.allowed(conn, ctx, person)
    if isinstance(asker, NotDone):
        return CheckinOutcome(not_done=asker)
    planned = request.look_up(conn, ctx, asker)
    if isinstance(planned, NotDone):
        return CheckinOutcome(not_done=planned)
    results = tuple(_record(conn, ctx, step, person, key, item) for item, step in enumerate(planned))
    return CheckinOutcome(results, popup=request.popup(conn))


@writes
def check_in(conn: Conn, ctx: AppContext, person: Person, request: CheckinRequest, key: RequestKey) -> CheckinOutcome:
    """`run` as a use case of its own: one transaction."""
    return run(conn, ctx, person, request, key)


def _record(
    conn: Conn, ctx: AppContext, step: Planned | Annulment, person: Person, key: RequestKey, item: int
) -> AttemptResult:
    if isinstance(step, Annulment):
        return _annul(conn, ctx, step.row, person, key)
    return judge_and_record(
        conn,
        ctx,
        step.attempt,
        attendee=step.attendee,
        session=step.session,
        actor_user_id=person.user_id,
        scanner_user_id=step.scanner_user_id,
        update_id=key.update_id,
        item=item,
        detail=step.detail,
        ref_id=step.ref_id,
        at=step.at,
        source=key.source,
        request_id=key.request_id,
    )


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
    source: str = CHAT,
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


def _annul(conn: Conn, ctx: AppContext, row: LogRow, person: Person, key: RequestKey) -> AttemptResult:
    """Write the UNDO row that annuls `row` (the engine allowed it), and the presence it leaves."""
    now = ctx.clock()
    log_id = attendance_log.insert_log(
        conn,
        LogEntry(
            at=now,
            direction=Direction.UNDO,
            method=row.method,
            accepted=True,
            reason=Reason.UNDONE,
            attendee_id=row.attendee_id,
            session_id=row.session_id,
            actor_user_id=person.user_id,
            scanner_user_id=person.user_id,
            ref_id=row.id,
            update_id=key.update_id,
            source=key.source,
            request_id=key.request_id,
        ),
    )
    attendance_log.recompute_presence(conn, row.attendee_id, row.session_id)
    ctx.attendance_changed(row.session_id)
    session = agenda.get_session(conn, row.session_id)
    return AttemptResult(
        Verdict(Reason.UNDONE),
        Direction.UNDO,
        Method(row.method),
        now,
        attendees.get_attendee(conn, row.attendee_id),
        session,
        inside_now=attendance_log.people_inside(conn, session.session_id),
        log_id=log_id,
    )


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
        return Verdict(reason, locked_until=pin_lock(conn, ctx, row.actor_user_id, row.at))
    return Verdict(reason)


def pin_lock(conn: Conn, ctx: AppContext, user_id: int, now: datetime) -> datetime | None:
    """When PIN entry opens again for `user_id`, as seen at `now` (wrong PINs are counted from the log)."""
    window, limit = ctx.settings.pin_attempt_window, ctx.settings.pin_attempt_limit
    wrong = attendance_log.wrong_pin_times(conn, user_id, now - window, WRONG_PIN_REASONS)
    return pin_locked_until(wrong, limit, window, now)
