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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.domain import signed_links
from bot.domain.rules import AclMode, Direction
from bot.domain.times import to_db
from bot.domain.visits import SessionSpan
from bot.files import charts
from bot.services.checkin import acl_mode
from bot.services.context import AppContext, reads, writes
from bot.services.dashboard_inside import floor5
from bot.services.dashboard_tally import RecentActivity, Tally, bucket_time
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


def _session_view(tally: Tally, s: SessionRow, now: datetime, windows, inside_counts, expected) -> SessionView:
    """One session's row, made again only when something it shows moved: the session itself, its
    status, its people inside, its rows in the log (`Tally.versions`) or the people it expects."""
    key = s.session_id.upper()
    opens = session_window(s, Direction.IN, windows).opens
    shown = status(now, opens, s.starts_at, s.ends_at)
    made_of = (s, shown, inside_counts.get(key, 0), tally.versions[key], tally.expected_version)
    kept = tally.session_views.get(key)
    if kept is not None and kept[0] == made_of:
        return kept[1]
    spark_start = floor5(s.starts_at - LEAD)
    spark = [0] * max(1, -(-(s.ends_at - spark_start) // BUCKET))
    for bucket, (ins, _outs) in tally.moves.get(key, {}).items():
        spark[min(max((bucket_time(bucket) - spark_start) // BUCKET, 0), len(spark) - 1)] += ins
    came, wanted = tally.arrivals.get(key, {}), expected.get(key, set())
    numbers = SessionNumbers(len(came), made_of[2], len(wanted), sum(1 for a in wanted if a in came))
    view = SessionView(s, shown, numbers, spark_start, spark)
    tally.session_views[key] = (made_of, view)
    return view


def compute_overview(conn: Conn, now: datetime, tz: ZoneInfo, tally: Tally) -> Overview:
    """The first view, read from one snapshot (`board.read_snapshot`); `tally` is brought up to date,
    and keeps each session's row until something it shows moves."""
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
    moves = tally.day_moves(*span)
    first = min([s.starts_at - LEAD for s in sessions] + [at for at, _ins in moves] + [min(now, day_end - BUCKET)])
    last = max([s.ends_at for s in sessions] + [at + BUCKET for at, _ins in moves] + [min(now, day_end)])
    chart_start = floor5(max(first, day_start))
    width = max(1, -(-(min(last, day_end) - chart_start) // BUCKET))
    arrivals = [0] * width
    for at, ins in moves:
        arrivals[min(max((at - chart_start) // BUCKET, 0), width - 1)] += ins
    spans = {k.upper(): SessionSpan(k.upper(), v.starts, v.ends) for k, v in visit_rows.session_spans(conn).items()}
    tally.inside.refresh(spans, now, event_settings.one_room_at_a_time(conn))
    inside, inside_now = tally.inside.line(chart_start, width), tally.inside.now(now)
    if 0 <= (now - chart_start) // BUCKET < width:
        inside[(now - chart_start) // BUCKET] = inside_now  # the line ends where the total stands
    views = [_session_view(tally, s, now, windows, inside_counts, expected) for s in sessions]
    keys = tuple(s.session_id.upper() for s in sessions)
    if tally.awaited is None or tally.awaited[0] != (keys, tally.expected_version):
        tally.awaited = ((keys, tally.expected_version), set().union(*(expected.get(k, ()) for k in keys)))
    awaited = tally.awaited[1]
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
