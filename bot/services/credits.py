"""Credits (README "Credits"): the event's rule (`/credits`, `attendance-admin credits`), what each
attendee earned at each session carrying credits (`credited_sessions`, for certificates), everyone's
(`credits_for_everyone`, for `/report credits`), and `/myattendance`'s sessions and total.

A line is made for every session with credits > 0 that the attendee was registered for or
attended; the minutes come from their visits (`bot.services.attendance_time`), the credits from the rule
(`bot.domain.credits.award`: the session's own rule, else the event's). A session that has not
ended yet earns nothing so far (`WhyNot.NOT_ENDED`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.domain import credits as rules
from bot.domain.credits import CreditError, CreditRule, WhyNot
from bot.services import attendance_time
from bot.services.attendance import HistoryEntry
from bot.services.context import AppContext, Person, reads, writes
from bot.services.errors import OrganiserError, Problem
from bot.services.people import identify
from bot.storage import attendance_log, event_settings
from bot.storage import credits as stored
from bot.storage.sql import Conn

RULE_KEY = "credit_rule"  # absent: threshold 80


@dataclass(frozen=True)
class CreditLine:
    session_id: str
    title: str
    starts_at: datetime
    minutes: float  # attended, within the session's start and end
    share: float  # of the session attended, 0 to 1
    credits: Decimal  # awarded
    why_not: WhyNot | None  # None when credits were awarded
    available: Decimal = Decimal(0)  # what the session carries
    rule: str = ""  # the rule that applied, e.g. "threshold 80"
    ended: bool = True  # the session has ended


@dataclass(frozen=True)
class AttendeeCredits:
    attendee_id: str
    name: str
    lines: list[CreditLine]

    @property
    def total(self) -> Decimal:
        return total(self.lines)


@dataclass(frozen=True)
class MyAttendance:
    """`/myattendance`: the check-ins and check-outs, and each ended session's minutes and credits."""

    entries: list[HistoryEntry]
    sessions: list[CreditLine]  # ended sessions attended, or carrying credits the attendee could earn
    any_credits: bool  # some of those sessions carry credits: show the total

    @property
    def total(self) -> Decimal:
        return total(self.sessions)


def total(lines: list[CreditLine]) -> Decimal:
    return rules.plain(sum((line.credits for line in lines), Decimal(0)))


# ---------------------------------------------------------------- the event's rule


def event_rule(conn: Conn) -> CreditRule:
    stored_rule = event_settings.get_setting(conn, RULE_KEY)
    try:
        return rules.parse_rule(stored_rule) if stored_rule else rules.DEFAULT_RULE
    except CreditError:
        return rules.DEFAULT_RULE


@reads
def get_rule(conn: Conn, ctx: AppContext) -> CreditRule:
    return event_rule(conn)


@writes
def set_rule(conn: Conn, ctx: AppContext, text: str) -> CreditRule:
    """`threshold 80`, `threshold` (80 %) or `proportional`."""
    try:
        rule = rules.parse_rule(text)
    except CreditError:
        raise OrganiserError(Problem.CREDIT_RULE, value=text.strip()) from None
    event_settings.set_setting(conn, RULE_KEY, str(rule))
    return rule


# ---------------------------------------------------------------- lines


def _minutes(conn: Conn, ctx: AppContext, attendee_id: str | None) -> dict[tuple[str, str], float]:
    """(attendee, session) -> minutes attended, from each person's visits (`attendance_time`)."""
    if attendee_id is not None:
        return {(attendee_id, s): m for s, m in attendance_time.minutes_by_session(conn, ctx, attendee_id).items()}
    return {(a, s): m for a, s, m, _ended in attendance_time.minutes_for_everyone(conn, ctx)}


def _line(candidate: stored.Candidate, minutes: float, event: CreditRule, now: datetime) -> CreditLine:
    session = candidate.session
    rule = rules.parse_rule(session.credit_rule) if session.credit_rule else event
    length = (session.ends_at - session.starts_at).total_seconds() / 60
    got = rules.award(session.credits, minutes, length, rule)
    ended = now >= session.ends_at
    if not ended:
        got = rules.Award(Decimal(0), got.share, WhyNot.NOT_ENDED)
    return CreditLine(
        session.session_id,
        session.title,
        session.starts_at,
        minutes,
        got.share,
        got.credits,
        got.why_not,
        rules.plain(session.credits),
        str(rule),
        ended,
    )


def lines_for(conn: Conn, ctx: AppContext, attendee_id: str, credited_only: bool = True) -> list[CreditLine]:
    """`credited_sessions` inside a caller's transaction."""
    minutes = _minutes(conn, ctx, attendee_id)
    event, now = event_rule(conn), ctx.clock()
    return [
        _line(c, minutes.get((c.attendee_id, c.session.session_id), 0.0), event, now)
        for c in stored.candidates(conn, attendee_id, credited_only)
    ]


@reads
def credited_sessions(conn: Conn, ctx: AppContext, attendee_id: str) -> list[CreditLine]:
    """Every session with credits the attendee was registered for or attended, by start time:
    minutes, share and the credits awarded (or why none). Unknown attendee: no lines."""
    return lines_for(conn, ctx, attendee_id)


def everyone(conn: Conn, ctx: AppContext) -> list[AttendeeCredits]:
    """`credits_for_everyone` inside a caller's transaction."""
    minutes = _minutes(conn, ctx, None)
    event, now = event_rule(conn), ctx.clock()
    people: dict[str, AttendeeCredits] = {}
    for c in stored.candidates(conn):
        person = people.setdefault(c.attendee_id, AttendeeCredits(c.attendee_id, c.name, []))
        person.lines.append(_line(c, minutes.get((c.attendee_id, c.session.session_id), 0.0), event, now))
    return list(people.values())


@reads
def credits_for_everyone(conn: Conn, ctx: AppContext) -> list[AttendeeCredits]:
    """Each attendee with a line per session with credits they were registered for or attended,
    by attendee id; attendees with no such session are left out."""
    return everyone(conn, ctx)


@writes
def my_attendance(conn: Conn, ctx: AppContext, person: Person) -> MyAttendance | None:
    """The sender's check-ins and check-outs, newest first, and each ended session they attended
    (or could earn credits at) with its minutes and credits; None if not an attendee."""
    attendee = identify(conn, ctx, person)
    if attendee is None:
        return None
    entries = [
        HistoryEntry(row.at, row.direction, row.method, session)
        for row, session in attendance_log.attendee_history(conn, attendee.attendee_id)
    ]
    lines = [
        line
        for line in lines_for(conn, ctx, attendee.attendee_id, credited_only=False)
        if line.ended and (line.minutes > 0 or line.available > 0)
    ]
    return MyAttendance(entries, lines, any(line.available > 0 for line in lines))
