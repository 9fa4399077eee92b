"""Organiser views and attendance reports: the rows come from `bot.storage`, the sheets from
`bot.files.report_writer`, the files from `bot.files.spreadsheet`.

Reports are built in a worker thread from rows streamed out of a read
snapshot: writing a file is CPU-bound, and building 100,000 rows on the event loop
would stall every check-in reply for seconds. The loop only fetches the next
chunk when the builder asks for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import groupby
from typing import TypeVar

from bot.domain.visits import Visit as RuleVisit
from bot.files import credit_report, report_writer, spreadsheet
from bot.files.report_writer import Visit
from bot.services import attendance_time, credits
from bot.services.context import AppContext, reads
from bot.services.errors import OrganiserError, Problem, require_session
from bot.storage import agenda, attendees, event_settings, live_counts, report_rows
from bot.storage.records import AttendeeRow, SessionRow

FORMATS = ("xlsx", "csv")
MAX_CANDIDATES = 10
T = TypeVar("T")

# kind -> (the sheet builder, the query that feeds it)
REPORTS = {
    "checkins": (report_writer.checkins_sheet, report_rows.checkin_rows),
    "checkouts": (report_writer.checkouts_sheet, report_rows.person_movements),
}
KINDS = (*REPORTS, "credits")  # credits: one row per attendee and credited session, then the totals


@dataclass(frozen=True)
class Report:
    filename: str
    data: bytes
    rows: int
    kind: str
    fmt: str
    offsets: str  # e.g. "UTC+02:00": the offset(s) of the times in the file


async def build_report(ctx: AppContext, kind: str, fmt: str = "xlsx") -> Report:
    """The check-ins, check-outs or credits report. XLSX adds a sheet of refused attempts (of
    each attendee's total credits); CSV holds the main table only."""
    kind, fmt = kind.lower(), fmt.lower()
    if kind not in KINDS:
        raise OrganiserError(Problem.UNKNOWN_REPORT, kind=kind)
    if fmt not in FORMATS:
        raise OrganiserError(Problem.UNKNOWN_FORMAT, fmt=fmt)
    tz = ctx.timezone
    now = ctx.clock()
    if kind == "credits":
        return await _credits_report(ctx, fmt, tz, now)
    make_sheet, query = REPORTS[kind]
    async with report_rows.snapshot(ctx.db.path) as conn:
        if kind == "checkouts":
            make_sheet = await _visits_sheet(conn, now)
        offsets = report_writer.offset_label(tz, *(await report_rows.time_span(conn) or (now, now)))
        label = report_writer.time_label(tz, offsets)
        if fmt == "csv":
            data, rows = await _in_thread(partial(_csv, make_sheet, tz, label), query(conn))
        else:
            data, rows = await _in_thread(
                partial(_xlsx, make_sheet, tz, label), query(conn), report_rows.refused_rows(conn)
            )
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M")
    return Report(f"{kind}-{stamp}.{fmt}", data, rows, kind, fmt, offsets)


async def _credits_report(ctx: AppContext, fmt: str, tz, now: datetime) -> Report:
    people = await credits.credits_for_everyone(ctx)
    starts = [line.starts_at for person in people for line in person.lines] or [now]
    offsets = report_writer.offset_label(tz, min(starts), max(starts))
    label = report_writer.time_label(tz, offsets)

    def build() -> tuple[bytes, int]:
        sheet = credit_report.credit_lines_sheet(people, tz, label)
        if fmt == "csv":
            return spreadsheet.csv_file(sheet), sheet.written
        return spreadsheet.xlsx_bytes([sheet, credit_report.credit_totals_sheet(people)]), sheet.written

    data, rows = await asyncio.to_thread(build)
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M")
    return Report(f"credits-{stamp}.{fmt}", data, rows, "credits", fmt, offsets)


async def _visits_sheet(conn: report_rows.Snapshot, now: datetime):
    """The check-outs sheet: one row per visit, worked out per person in the worker thread."""
    spans = await report_rows.session_spans(conn)
    one_room = await report_rows.setting(conn, event_settings.ONE_ROOM_KEY) != "off"

    def make_sheet(rows, tz, offsets):
        return report_writer.checkouts_sheet(attendance_time.visit_rows(rows, spans, now, one_room), tz, offsets)

    return make_sheet


def _csv(make_sheet, tz, offsets: str, rows) -> tuple[bytes, int]:
    sheet = make_sheet(rows, tz, offsets)
    return spreadsheet.csv_file(sheet), sheet.written


def _xlsx(make_sheet, tz, offsets: str, rows, refused) -> tuple[bytes, int]:
    sheet = make_sheet(rows, tz, offsets)
    return spreadsheet.xlsx_bytes([sheet, report_writer.refused_sheet(refused, tz, offsets)]), sheet.written


async def _in_thread(build: Callable[..., T], *sources: AsyncIterator[list]) -> T:
    """Run `build` in a worker thread, handing it each async chunk source as a
    plain iterator whose chunks are fetched on this event loop."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.to_thread(build, *(_blocking_rows(s, loop) for s in sources))
    finally:
        for source in sources:
            await source.aclose()


def _blocking_rows(chunks: AsyncIterator[list[T]], loop: asyncio.AbstractEventLoop) -> Iterator[T]:
    while (chunk := asyncio.run_coroutine_threadsafe(_next_chunk(chunks), loop).result()) is not None:
        yield from chunk


async def _next_chunk(chunks: AsyncIterator[list[T]]) -> list[T] | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


# ---------------------------------------------------------------- one session now


@dataclass(frozen=True)
class SessionSummary:
    session: SessionRow
    counts: live_counts.SessionCounts
    recent: list[live_counts.RecentCheckin]

    @property
    def places_left(self) -> int | None:
        if self.session.capacity is None:
            return None
        return max(self.session.capacity - self.counts.inside_now, 0)


@reads
def session_summary(conn, ctx: AppContext, session_id: str) -> SessionSummary:
    """Live counts for one session, with its last five check-ins."""
    session = require_session(conn, session_id)
    return SessionSummary(
        session,
        live_counts.session_counts(conn, session.session_id),
        live_counts.recent_checkins(conn, session.session_id),
    )


# ---------------------------------------------------------------- one attendee


@dataclass(frozen=True)
class AttendedSession:
    session_id: str
    title: str
    session_start: datetime
    visits: list[Visit]


@dataclass(frozen=True)
class AttendeeSummary:
    attendee: AttendeeRow
    groups: list[str]
    registered: list[SessionRow]
    attended: list[AttendedSession]
    # Every visit by the visits rule (`bot.domain.visits`): when it started, ended and how.
    visits: tuple[RuleVisit, ...] = ()


@dataclass(frozen=True)
class AttendeeLookup:
    """Either one attendee's summary, or the candidates when the query matched several."""

    summary: AttendeeSummary | None
    candidates: list[AttendeeRow]
    more: bool = False


@reads
def find_attendee_summary(conn, ctx: AppContext, query: str) -> AttendeeLookup:
    """Find by attendee id, @handle or part of the name, and summarise if exactly one matches."""
    query = query.strip()
    if not query:
        raise OrganiserError(Problem.EMPTY_QUERY)
    matches = attendees.find_attendees(conn, query, limit=MAX_CANDIDATES + 1)
    if not matches:
        raise OrganiserError(Problem.NO_MATCH, query=query)
    if len(matches) > 1:
        return AttendeeLookup(None, matches[:MAX_CANDIDATES], more=len(matches) > MAX_CANDIDATES)
    return AttendeeLookup(_attendee_summary(conn, ctx, matches[0]), matches)


def _attendee_summary(conn, ctx: AppContext, attendee: AttendeeRow) -> AttendeeSummary:
    moves = live_counts.attendee_movements(conn, attendee.attendee_id)
    attended = []
    for _, group in groupby(moves, key=lambda m: m.session_id):
        group = list(group)
        attended.append(
            AttendedSession(
                group[0].session_id, group[0].title, group[0].session_start, report_writer.pair_visits(group)
            )
        )
    return AttendeeSummary(
        attendee,
        attendees.attendee_groups(conn, attendee.attendee_id),
        agenda.registered_sessions(conn, attendee.attendee_id),
        attended,
        tuple(attendance_time.visits_of(conn, ctx, attendee.attendee_id)),
    )
