"""Organiser views and attendance reports: one implementation for the bot and the CLI.

Reports are built in a worker thread from rows streamed out of a read
snapshot: openpyxl is CPU-bound, and building 100,000 rows on the event loop
would stall every check-in reply for seconds. The loop only fetches the next
chunk when the builder asks for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import TypeVar

from admin_commands.operations import OperationError
from bot import reports as files
from bot.reports import Visit
from bot.services.context import AppContext, read_only
from bot.storage import repo
from bot.storage import reports as queries
from bot.storage.repo import AttendeeRow, SessionRow

FORMATS = ("xlsx", "csv")
MAX_CANDIDATES = 10
T = TypeVar("T")

# kind -> (the sheet builder, the query that feeds it)
REPORTS = {
    "checkins": (files.checkins_sheet, queries.checkin_rows),
    "checkouts": (files.checkouts_sheet, queries.movements),
}
KINDS = tuple(REPORTS)


@dataclass(frozen=True)
class Report:
    filename: str
    data: bytes
    rows: int
    kind: str
    fmt: str
    offsets: str  # e.g. "UTC+02:00": the offset(s) of the times in the file
    path: Path | None = None  # where write_report put it


async def build_report(ctx: AppContext, kind: str, fmt: str = "xlsx") -> Report:
    """The check-ins or check-outs report. XLSX adds a sheet of refused attempts;
    CSV holds the main table only."""
    kind, fmt = kind.lower(), fmt.lower()
    if kind not in REPORTS:
        raise OperationError(f"There is no report {kind!r}: choose checkins or checkouts (add csv for a CSV file).")
    if fmt not in FORMATS:
        raise OperationError(f"Unknown format {fmt!r}: the report comes as xlsx (the default) or csv.")
    make_sheet, query = REPORTS[kind]
    tz = ctx.settings.event_timezone
    now = ctx.clock()
    async with queries.snapshot(ctx.db.path) as conn:
        offsets = files.offset_label(tz, *(await queries.time_span(conn) or (now, now)))
        if fmt == "csv":
            data, rows = await _in_thread(partial(_csv, make_sheet, tz, offsets), query(conn))
        else:
            data, rows = await _in_thread(
                partial(_xlsx, make_sheet, tz, offsets), query(conn), queries.refused_rows(conn)
            )
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M")
    return Report(f"{kind}-{stamp}.{fmt}", data, rows, kind, fmt, offsets)


def _csv(make_sheet, tz, offsets: str, rows) -> tuple[bytes, int]:
    sheet = make_sheet(rows, tz, offsets)
    return files.csv_file(sheet), sheet.written


def _xlsx(make_sheet, tz, offsets: str, rows, refused) -> tuple[bytes, int]:
    sheet = make_sheet(rows, tz, offsets)
    return files.xlsx_bytes([sheet, files.refused_sheet(refused, tz, offsets)]), sheet.written


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


async def write_report(ctx: AppContext, kind: str, csv: bool, path: str | Path) -> Report:
    """For the command line: build a report and write it to `path` (a directory
    gets the report's own file name)."""
    report = await build_report(ctx, kind, "csv" if csv else "xlsx")
    target = Path(path)
    if target.is_dir():
        target = target / report.filename
    target.write_bytes(report.data)
    return replace(report, path=target)


# ---------------------------------------------------------------- one session now


@dataclass(frozen=True)
class SessionSummary:
    session: SessionRow
    counts: queries.SessionCounts
    recent: list[queries.RecentCheckin]

    @property
    def places_left(self) -> int | None:
        if self.session.capacity is None:
            return None
        return max(self.session.capacity - self.counts.inside_now, 0)


@read_only
def session_summary(conn, ctx: AppContext, session_id: str) -> SessionSummary:
    """Live counts for one session, with its last five check-ins."""
    session = repo.get_session(conn, session_id.strip())
    if session is None:
        raise OperationError(f"There is no session {session_id!r}. /pins lists the sessions.")
    return SessionSummary(
        session, queries.session_counts(conn, session.session_id), queries.recent_checkins(conn, session.session_id)
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


@dataclass(frozen=True)
class AttendeeLookup:
    """Either one attendee's summary, or the candidates when the query matched several."""

    summary: AttendeeSummary | None
    candidates: list[AttendeeRow]
    more: bool = False


@read_only
def find_attendee_summary(conn, ctx: AppContext, query: str) -> AttendeeLookup:
    """Find by attendee id, @handle or part of the name, and summarise if exactly one matches."""
    query = query.strip()
    if not query:
        raise OperationError("Say whom to look up: an attendee id, an @handle or part of a name.")
    matches = repo.find_attendees(conn, query, limit=MAX_CANDIDATES + 1)
    if not matches:
        raise OperationError(f"No attendee matches {query!r}. Try their attendee id, @handle or part of the name.")
    if len(matches) > 1:
        return AttendeeLookup(None, matches[:MAX_CANDIDATES], more=len(matches) > MAX_CANDIDATES)
    return AttendeeLookup(_attendee_summary(conn, matches[0]), matches)


def _attendee_summary(conn, attendee: AttendeeRow) -> AttendeeSummary:
    moves = queries.attendee_movements(conn, attendee.attendee_id)
    attended = []
    for _, group in groupby(moves, key=lambda m: m.session_id):
        group = list(group)
        attended.append(
            AttendedSession(group[0].session_id, group[0].title, group[0].session_start, files.pair_visits(group))
        )
    return AttendeeSummary(
        attendee,
        repo.attendee_groups(conn, attendee.attendee_id),
        repo.registered_sessions(conn, attendee.attendee_id),
        attended,
    )
