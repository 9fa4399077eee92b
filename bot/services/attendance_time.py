"""How long people attended: visits worked out by `bot.domain.visits` from the log.

`minutes_by_session`, `visits_of` and `minutes_for_everyone` are steps of other use cases
(undecorated functions of `conn`, run inside the caller's transaction); `one_room` and
`set_one_room` are the organiser's setting; `visit_rows` turns the check-outs report's rows, streamed by
person, into one row per visit (it runs in the report's worker thread, no database).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import groupby

from bot.domain import report_rows
from bot.domain.visits import Movement, SessionSpan, Visit, minutes_attended, walk
from bot.services.context import AppContext, reads, writes
from bot.storage import event_settings
from bot.storage import visit_rows as timelines


def minutes_by_session(conn, ctx: AppContext, attendee_id: str) -> dict[str, float]:
    """Session id -> minutes the attendee attended it, open visits counted up to now."""
    spans = timelines.session_spans(conn)
    found = _sessions_of(
        timelines.attendee_timeline(conn, attendee_id), spans, ctx.clock(), event_settings.one_room_at_a_time(conn)
    )
    return {session_id: minutes for session_id, (minutes, _ended) in found.items()}


def visits_of(conn, ctx: AppContext, attendee_id: str) -> list[Visit]:
    """The attendee's visits as `bot.domain.visits` works them out (how each ended), by start."""
    found, _strays = walk(
        timelines.attendee_timeline(conn, attendee_id),
        timelines.session_spans(conn),
        ctx.clock(),
        event_settings.one_room_at_a_time(conn),
    )
    return found


def minutes_for_everyone(conn, ctx: AppContext) -> Iterator[tuple[str, str, float, bool]]:
    """(attendee id, session id, minutes, ended) for every attendee with a visit, by attendee then
    session; `ended` is False while one of their visits of that session is open. Streamed: one
    person's rows in memory at a time."""
    spans = timelines.session_spans(conn)
    now, one_room = ctx.clock(), event_settings.one_room_at_a_time(conn)
    for attendee_id, rows in groupby(timelines.everyone_timelines(conn), key=lambda r: r[0]):
        found = _sessions_of([m for _id, m in rows], spans, now, one_room)
        for session_id, (minutes, ended) in found.items():
            yield attendee_id, session_id, minutes, ended


def _sessions_of(
    timeline: list[Movement], spans: Mapping[str, SessionSpan], now: datetime, one_room: bool
) -> dict[str, tuple[float, bool]]:
    found, _strays = walk(timeline, spans, now, one_room)
    by_session: dict[str, list[Visit]] = {}
    for v in found:
        by_session.setdefault(v.session_id, []).append(v)
    return {
        session_id: (
            minutes_attended(mine, spans[session_id], now) if session_id in spans else 0.0,
            not any(v.is_open for v in mine),
        )
        for session_id, mine in sorted(by_session.items())
    }


# ---------------------------------------------------------------- the setting


@reads
def one_room(conn, ctx: AppContext) -> bool:
    """Whether a check-in ends the person's visit of every session overlapping it in time."""
    return event_settings.one_room_at_a_time(conn)


@writes
def set_one_room(conn, ctx: AppContext, on: bool) -> bool:
    event_settings.set_one_room_at_a_time(conn, on)
    return on


# ---------------------------------------------------------------- the check-outs report


def visit_rows(
    movements: Iterable[report_rows.Movement], spans: Mapping[str, SessionSpan], now: datetime, one_room: bool
) -> Iterator[report_rows.VisitRow]:
    """One row per visit (and per stray check-out), by person, then session start, then time.
    `movements` must come grouped by person (as `bot.storage.report_rows.person_movements`)."""
    for _attendee, rows in groupby(movements, key=lambda m: m.attendee_id):
        yield from _person_rows(list(rows), spans, now, one_room)


def _person_rows(
    rows: list[report_rows.Movement], spans: Mapping[str, SessionSpan], now: datetime, one_room: bool
) -> list[report_rows.VisitRow]:
    person = rows[0]
    sessions = {r.session_id: (r.title, r.session_start) for r in rows}
    found, strays = walk([Movement(r.at, r.direction, r.session_id) for r in rows], spans, now, one_room)
    totals = {}
    for session_id in sessions:
        mine = [v for v in found if v.session_id == session_id]
        span = spans.get(session_id)
        ended = mine and not any(v.is_open for v in mine) and span is not None
        totals[session_id] = minutes_attended(mine, span, now) if ended else None

    def row(session_id: str, at, check_in, check_out, ended, ended_by, minutes, stray=False):
        title, start = sessions[session_id]
        line = report_rows.VisitRow(
            session_id, title, start, person.attendee_id, person.name, person.email,
            check_in, check_out, ended, ended_by, minutes, totals[session_id], stray,
        )  # fmt: skip
        return (start, session_id, at), line

    lines = [
        row(v.session_id, v.start, v.start, v.check_out, v.end, v.ended_by, _visit_minutes(v, spans, now))
        for v in found
    ]
    lines += [row(m.session_id, m.at, None, m.at, None, "", None, stray=True) for m in strays]
    return [line for _key, line in sorted(lines, key=lambda kl: kl[0])]


def _visit_minutes(v: Visit, spans: Mapping[str, SessionSpan], now: datetime) -> float | None:
    if v.is_open or v.session_id not in spans:
        return None
    return minutes_attended([v], spans[v.session_id], now)
