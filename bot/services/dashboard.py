"""The organiser dashboard and session charts: every session's live counts, one session's
arrivals and people inside over time, the latest refused attempts, and the reports.

`/dashboard` gives a signed link that expires after 12 hours: the link is the
login. It is signed (`bot.domain.signed_links`) with an event-wide secret kept
in the database, and `/dashboard revoke` replaces that secret, which ends every
earlier link.
"""

from __future__ import annotations

import asyncio
import secrets
from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import takewhile
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.domain import signed_links
from bot.domain.rules import AclMode, Direction
from bot.domain.times import from_db, to_db
from bot.domain.visits import IN, OUT, Movement, SessionSpan
from bot.files import charts
from bot.services.checkin import acl_mode
from bot.services.context import AppContext, reads, writes
from bot.services.dashboard_inside import Inside, floor5
from bot.services.errors import require_public_url, require_session
from bot.services.event import session_window, stored_window_settings
from bot.storage import dashboard as board
from bot.storage import event_settings, live_counts, visit_rows
from bot.storage.live_counts import RecentRefusal
from bot.storage.records import SessionRow
from bot.storage.sql import Conn

SECRET_KEY = "dashboard_secret"
VALID_FOR = timedelta(hours=12)


class DashboardRefused(Exception):
    """Not a valid dashboard link (forged, expired or revoked); the message is a code for the
    log: a `signed_links.LinkProblem`, or `no_secret` before any link was made."""


@dataclass(frozen=True)
class DashboardLink:
    url: str
    expires_at: datetime


@writes
def dashboard_link(conn: Conn, ctx: AppContext, revoke: bool = False, language: str | None = None) -> DashboardLink:
    """A signed link, valid 12 hours; `language` (the organiser's, when not the event's) opens
    the page in it (`?lang=`: not signed, as any holder of the link may read it in any language)."""
    root = require_public_url(ctx.settings)
    secret = event_settings.get_setting(conn, SECRET_KEY)
    if secret is None or revoke:
        secret = secrets.token_hex(16)
        event_settings.set_setting(conn, SECRET_KEY, secret)
    expires_at = ctx.clock() + VALID_FOR
    expires = int(expires_at.timestamp())
    query = f"?lang={language}" if language and language != ctx.event_language else ""
    token = signed_links.make(signed_links.DASHBOARD, secret, expires)
    return DashboardLink(f"{root}/dashboard/{token}/{query}", expires_at)


def _check(conn: Conn, ctx: AppContext, token: str) -> None:
    verify(event_settings.get_setting(conn, SECRET_KEY), token, ctx.clock())


def verify(secret: str | None, token: str, now: datetime) -> None:
    """`DashboardRefused` unless `token` is a dashboard link signed with the event's `secret`
    (as the database held it) that has not expired at `now`."""
    if secret is None:
        raise DashboardRefused("no_secret")  # no link was ever made
    try:
        signed_links.verify(signed_links.DASHBOARD, secret, token, now.timestamp())
    except signed_links.SignedLinkError as error:
        raise DashboardRefused(error.problem) from None


@reads
def check_link(conn: Conn, ctx: AppContext, token: str) -> None:
    """Refuse a bad link before anything heavier (a chart, a report) is made for it."""
    _check(conn, ctx, token)


@reads
def _timeline(conn: Conn, ctx: AppContext, session_id: str):
    session = require_session(conn, session_id)
    return session, live_counts.session_movements(conn, session.session_id)


async def session_chart(ctx: AppContext, session_id: str, fmt: str = "png") -> bytes:
    """Arrivals per 5 minutes and people inside over time, drawn off the event loop."""
    session, movements = await _timeline(ctx, session_id)
    return await asyncio.to_thread(
        charts.session_chart, movements, session.starts_at, session.ends_at, ctx.timezone, fmt
    )


# ---------------------------------------------------------------- the first view

BUCKET = timedelta(minutes=5)
RECENT = timedelta(minutes=15)
LEAD = timedelta(minutes=30)  # a session's sparkline starts this long before it (early arrivals)


class Status(StrEnum):
    UPCOMING = "upcoming"  # its check-in window has not opened
    OPEN = "open"  # check-in open, not started
    RUNNING = "running"
    CLOSED = "closed"  # ended


def status(now: datetime, opens: datetime, starts: datetime, ends: datetime) -> Status:
    if now >= ends:
        return Status.CLOSED
    if now >= starts:
        return Status.RUNNING
    return Status.OPEN if now >= opens else Status.UPCOMING


class SessionNumbers(NamedTuple):
    arrived: int  # people with an effective check-in
    inside: int  # people whose last record is a check-in (`presence`: what the room display shows)
    expected: int  # registered, and targeted when the access-control mode lets them in
    expected_arrived: int  # of those, people who arrived


class DayTotals(NamedTuple):
    people_arrived: int  # people with an effective check-in on the day shown
    expected: int  # people a session of the day expects
    expected_arrived: int  # of those, people with an effective check-in that day
    inside_now: int  # people with a visit going on (`bot.domain.visits`), each counted once


class RecentActivity(NamedTuple):
    checkins: int
    refusals: int
    reasons: list[tuple[str, int]]  # the most frequent refusal reasons, most frequent first


class Movements(NamedTuple):
    session_id: str  # upper case
    bucket: datetime  # the start of its 5 minutes (UTC)
    ins: int
    outs: int


class Tally:
    """What the attendance log says so far, kept between first views: the log only grows, so each
    view reads just the rows added since the last (`board.log_after`); an UNDO takes its row's
    part back. Effective check-ins and check-outs per session and 5 minutes, who arrived where, the
    times of every check-in, and the refused attempts. Used by one computation at a time (the
    dashboard's `SharedOverview` computes for every screen)."""

    def __init__(self) -> None:
        self.last_id = 0
        self.arrivals: dict[str, dict[str, int]] = {}  # session -> attendee -> effective check-ins
        self.moves: dict[tuple[str, str], list[int]] = {}  # (session, 'YYYY-MM-DDTHH:MM' UTC) -> [ins, outs]
        self.checkins: list[tuple[str, str]] = []  # (time as UTC text, attendee) of every effective check-in, sorted
        self.refused: list[tuple[str, str]] = []  # (time, reason) of every refused attempt, in log order
        self._expected: tuple[tuple, dict[str, set[str]]] | None = None
        self.inside = Inside()  # people inside over time, by the visits rule

    def read(self, conn: Conn) -> None:
        count, refused = self._count, self.refused
        rows = board.log_after(conn, self.last_id)  # id, at, session, attendee, direction, accepted, reason, ref
        for row in rows:
            if row[4] == "UNDO":
                undone = board.log_row(conn, row[7]) if row[7] is not None else None
                if undone is not None and undone.accepted:
                    count(undone, -1)
            elif not row[5]:
                refused.append((row[1], row[6]))
            else:
                count(row, 1)
        if rows:
            self.last_id = rows[-1][0]

    def _count(self, row: tuple, step: int) -> None:
        _id, at, session, person, direction = row[:5]
        if direction not in (IN, OUT) or session is None or person is None:
            return
        bucket = (session, at[:15] + ("0" if at[15] < "5" else "5"))
        move = self.moves.get(bucket)
        if move is None:
            move = self.moves[bucket] = [0, 0]
        (self.inside.add if step > 0 else self.inside.remove)(person, Movement(from_db(at), direction, session))
        if direction == OUT:
            move[1] += step
            return
        move[0] += step
        people = self.arrivals.get(session)
        if people is None:
            people = self.arrivals[session] = {}
        people[person] = people.get(person, 0) + step
        if step > 0:
            insort(self.checkins, (at, person))  # at the end, unless the clock went back
        else:
            self.checkins.remove((at, person))
            if people[person] <= 0:
                del people[person]

    def expected(self, conn: Conn, include_targets: bool) -> dict[str, set[str]]:
        """Session -> the attendees it expects (`board.expected_pairs`), read again only when the
        registrations, targets, groups or access-control mode have changed."""
        key = (include_targets, board.expected_fingerprint(conn))
        if self._expected is None or self._expected[0] != key:
            expected: dict[str, set[str]] = {}
            for session_id, attendee_id in board.expected_pairs(conn, include_targets):
                expected.setdefault(session_id, set()).add(attendee_id)
            self._expected = (key, expected)
        return self._expected[1]

    def since(self, moment: str) -> RecentActivity:
        """Check-ins and refused attempts at or after `moment` (UTC text), the top three reasons."""
        checkins = len(self.checkins) - bisect_left(self.checkins, (moment,))
        reasons = Counter(r for _at, r in takewhile(lambda x: x[0] >= moment, reversed(self.refused)))
        top = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:3]
        return RecentActivity(checkins, sum(reasons.values()), top)

    def came(self, start: str, end: str) -> set[str]:
        """The attendees with an effective check-in from `start` to `end` (UTC text)."""
        return {
            person
            for _at, person in self.checkins[bisect_left(self.checkins, (start,)) : bisect_left(self.checkins, (end,))]
        }

    def movements(self, start: str, end: str) -> list[Movements]:
        """Effective check-ins and check-outs per session and 5 minutes from `start` to `end` (UTC text)."""
        return [
            Movements(session, _bucket_time(bucket), ins, outs)
            for (session, bucket), (ins, outs) in self.moves.items()
            if start[:16] <= bucket < end[:16] and (ins or outs)
        ]


@lru_cache(maxsize=4096)
def _bucket_time(bucket: str) -> datetime:
    return datetime.fromisoformat(bucket + ":00+00:00")


@dataclass(frozen=True)
class SessionView:
    session: SessionRow
    status: Status
    numbers: SessionNumbers
    spark_start: datetime  # the first 5 minutes of `spark`
    spark: list[int]  # arrivals per 5 minutes


@dataclass(frozen=True)
class Overview:
    """Everything the dashboard's first view shows, as of `now`, for the event's `day`."""

    now: datetime
    day: date
    totals: DayTotals
    recent: RecentActivity
    chart_start: datetime  # the first 5 minutes of `arrivals` and `inside`
    arrivals: list[int]  # check-ins per 5 minutes, all sessions
    inside: list[int]  # people inside at the end of each 5 minutes, each once (`dashboard_inside`)
    sessions: list[SessionView]
    refusals: list[RecentRefusal]
    # The dashboard links' secret as the same snapshot held it: a stream pushing this view checks
    # its link against it (`verify`), with no trip to the database of its own.
    link_secret: str | None = field(default=None, repr=False)


def shown_day(now: datetime, tz: ZoneInfo, spans: list[tuple[datetime, datetime]]) -> date:
    """Today in the event's zone when a session takes place today; else the next day with a session,
    else the last one (the dashboard opened before or after the event)."""
    today = now.astimezone(tz).date()
    days = sorted({d for starts, ends in spans for d in (starts.astimezone(tz).date(), ends.astimezone(tz).date())})
    if not days or today in days:
        return today
    later = [d for d in days if d > today]
    return later[0] if later else days[-1]


def compute_overview(conn: Conn, now: datetime, tz: ZoneInfo, tally: Tally) -> Overview:
    """The first view, read from one snapshot (`board.read_snapshot`); `tally` is brought up to date."""
    tally.read(conn)
    day = shown_day(now, tz, board.session_days(conn))
    day_start = datetime.combine(day, time(), tz)
    day_end = datetime.combine(day + timedelta(days=1), time(), tz)
    span = (to_db(day_start), to_db(day_end))
    include = acl_mode(conn) is AclMode.INCLUDE_TARGETS
    sessions = board.sessions_between(conn, day_start, day_end)
    expected = tally.expected(conn, include)
    inside_counts = board.inside_counts(conn)
    windows = stored_window_settings(conn)
    moves = tally.movements(*span)
    first = min([s.starts_at - LEAD for s in sessions] + [m.bucket for m in moves] + [min(now, day_end - BUCKET)])
    last = max([s.ends_at for s in sessions] + [m.bucket + BUCKET for m in moves] + [min(now, day_end)])
    chart_start = floor5(max(first, day_start))
    width = max(1, -(-(min(last, day_end) - chart_start) // BUCKET))
    arrivals = [0] * width
    by_session: dict[str, list[Movements]] = {}
    for m in moves:
        arrivals[min(max((m.bucket - chart_start) // BUCKET, 0), width - 1)] += m.ins
        by_session.setdefault(m.session_id, []).append(m)
    spans = {k.upper(): SessionSpan(k.upper(), v.starts, v.ends) for k, v in visit_rows.session_spans(conn).items()}
    tally.inside.refresh(spans, now, event_settings.one_room_at_a_time(conn))
    inside, inside_now = tally.inside.line(chart_start, width), tally.inside.now(now)
    if 0 <= (now - chart_start) // BUCKET < width:
        inside[(now - chart_start) // BUCKET] = inside_now  # the line ends where the total stands
    views, awaited = [], set()
    for s in sessions:
        key = s.session_id.upper()
        spark_start = floor5(s.starts_at - LEAD)
        spark = [0] * max(1, -(-(s.ends_at - spark_start) // BUCKET))
        for m in by_session.get(key, ()):
            spark[min(max((m.bucket - spark_start) // BUCKET, 0), len(spark) - 1)] += m.ins
        came, wanted = tally.arrivals.get(key, {}), expected.get(key, set())
        awaited |= wanted
        numbers = SessionNumbers(len(came), inside_counts.get(key, 0), len(wanted), sum(1 for a in wanted if a in came))
        opens = session_window(s, Direction.IN, windows).opens
        views.append(SessionView(s, status(now, opens, s.starts_at, s.ends_at), numbers, spark_start, spark))
    today = tally.came(*span)
    return Overview(
        now=now,
        day=day,
        totals=DayTotals(len(today), len(awaited), len(awaited & today), inside_now),
        recent=tally.since(to_db(now - RECENT)),
        chart_start=chart_start,
        arrivals=arrivals,
        inside=inside,
        sessions=views,
        refusals=live_counts.recent_refusals(conn, 10),
        link_secret=event_settings.get_setting(conn, SECRET_KEY),
    )


async def overview(ctx: AppContext, tally: Tally | None = None) -> Overview:
    """The first view, computed off the database thread on a snapshot of its own, as reports are:
    check-ins at the doors never wait for it. `tally` (kept by the caller between views) spares
    reading the whole log again; without one it is read from the start. (The caller has checked
    the link: `check_link`.)"""
    tally = tally if tally is not None else Tally()

    def compute() -> Overview:
        with board.read_snapshot(str(ctx.db.path)) as conn:
            return compute_overview(conn, ctx.clock(), ctx.timezone, tally)

    return await asyncio.to_thread(compute)


# ---------------------------------------------------------------- one session


@dataclass(frozen=True)
class SessionDetail:
    session: SessionRow
    status: Status
    inside: list[board.Person]
    no_shows: list[board.Person]
    refusals: list[board.Refusal]


@reads
def session_detail(conn: Conn, ctx: AppContext, session_id: str) -> SessionDetail:
    """Who is inside the session now, who it expected and never arrived, its refused attempts."""
    session = require_session(conn, session_id)
    opens = session_window(session, Direction.IN, stored_window_settings(conn)).opens
    include = acl_mode(conn) is AclMode.INCLUDE_TARGETS
    return SessionDetail(
        session,
        status(ctx.clock(), opens, session.starts_at, session.ends_at),
        board.inside_now(conn, session.session_id),
        board.no_shows(conn, session.session_id, include),
        board.session_refusals(conn, session.session_id),
    )
