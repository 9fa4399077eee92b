"""What visits are worked out from: every session's times and each person's effective IN and OUT rows
(what counts as attendance is defined once, in `bot.storage.report_rows`)."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.times import from_db
from bot.domain.visits import Movement, SessionSpan
from bot.storage.report_rows import EFFECTIVE
from bot.storage.sql import Conn, fetch_all

SPANS_SQL = "SELECT session_id, starts_at, ends_at FROM sessions"

# The index attendance_log_person (attendee_id, session_id, id) gives this order without a sort.
TIMELINE_SQL = f"""
SELECT l.attendee_id, l.at, l.direction, l.session_id
FROM attendance_log l
WHERE {EFFECTIVE} {{where}}
ORDER BY l.attendee_id, l.session_id, l.id"""


def span_record(r) -> SessionSpan:
    return SessionSpan(r[0], from_db(r[1]), from_db(r[2]))


def session_spans(conn: Conn) -> dict[str, SessionSpan]:
    return {r[0]: span_record(r) for r in fetch_all(conn, SPANS_SQL)}


def attendee_timeline(conn: Conn, attendee_id: str) -> list[Movement]:
    rows = fetch_all(conn, TIMELINE_SQL.format(where="AND l.attendee_id = ?"), (attendee_id,))
    return [Movement(from_db(r[1]), r[2], r[3]) for r in rows]


def everyone_timelines(conn: Conn) -> Iterator[tuple[str, Movement]]:
    """(attendee id, movement) for every effective IN and OUT, grouped by attendee; streamed."""
    for r in conn.execute(TIMELINE_SQL.format(where="")):
        yield r[0], Movement(from_db(r[1]), r[2], r[3])
