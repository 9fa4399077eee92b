"""What the organiser dashboard reads: the day's sessions with their counts, arrivals and movements per
5 minutes, the event's totals, and one session's people (inside now, no-shows, refusals).

The log is read as it grows (`log_after`): the dashboard keeps its counts and reads only the rows
added since (`bot.services.dashboard_tally.Tally`); everything else is a statement or two. What counts as
attendance is `bot.storage.report_rows`'s: an accepted IN or OUT no UNDO annuls.

`read_snapshot` is a connection of its own holding one read transaction (WAL: the writers are never
held up), for the dashboard's first view, computed off the database thread like a report.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import NamedTuple

from bot.domain.times import from_db, to_db
from bot.storage.records import SessionRow, session_record
from bot.storage.report_rows import NOT_UNDONE
from bot.storage.sql import Conn, fetch_all, fetch_one

ARRIVED = f"l.accepted = 1 AND l.direction = 'IN' AND {NOT_UNDONE}"


@contextmanager
def read_snapshot(path: str) -> Iterator[Conn]:
    """A read-only connection of its own inside one read transaction, closed afterwards."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def _expected(include_targets: bool) -> str:
    """(session_id, attendee_id) of everyone a session expects: its registrations, and the members of
    its target groups when the event's access control lets targeted people in (`AclMode.INCLUDE_TARGETS`)."""
    targeted = (
        """UNION SELECT t.session_id, g.attendee_id FROM session_targets t
           JOIN attendee_groups g ON g.group_name = t.group_name"""
        if include_targets
        else ""
    )
    return f"SELECT session_id, attendee_id FROM registrations {targeted}"


def sessions_between(conn: Conn, start: datetime, end: datetime) -> list[SessionRow]:
    """The sessions taking place (at least partly) between `start` and `end`, by start."""
    rows = fetch_all(
        conn,
        "SELECT * FROM sessions WHERE starts_at < ? AND ends_at > ? ORDER BY starts_at, session_id",
        (to_db(end), to_db(start)),
    )
    return [session_record(r) for r in rows]


def session_days(conn: Conn) -> list[tuple[datetime, datetime]]:
    """Every session's (start, end), by start: the dashboard picks the day to show from them."""
    return [
        (from_db(r[0]), from_db(r[1])) for r in fetch_all(conn, "SELECT starts_at, ends_at FROM sessions ORDER BY 1")
    ]


class LogRow(NamedTuple):
    id: int
    at: str  # UTC text as stored ('YYYY-MM-DDTHH:MM:SS.ffffffZ'): compared and cut as text, never parsed
    session_id: str | None
    attendee_id: str | None
    direction: str
    accepted: int
    reason: str
    ref_id: int | None  # an UNDO: the row it annuls


def log_after(conn: Conn, last_id: int) -> list[tuple]:
    """Every log row after `last_id`, in id order, as plain tuples in `LogRow`'s order with the ids in
    upper case (the log is append-only: a reader that has seen the rows up to `last_id` needs only
    these; the first read is the whole log, so it is kept cheap)."""
    conn = _plain(conn)
    return conn.execute(
        """SELECT id, at, upper(session_id), upper(attendee_id), direction, accepted, reason, ref_id
           FROM attendance_log WHERE id > ? ORDER BY id""",
        (last_id,),
    ).fetchall()


def _plain(conn: Conn) -> Conn:
    """A cursor that gives tuples, whatever the connection's row factory."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


def log_row(conn: Conn, row_id: int) -> LogRow | None:
    row = fetch_one(
        conn,
        """SELECT id, at, upper(session_id), upper(attendee_id), direction, accepted, reason, ref_id
           FROM attendance_log WHERE id = ?""",
        (row_id,),
    )
    return LogRow(*row) if row else None


def expected_pairs(conn: Conn, include_targets: bool) -> list[tuple[str, str]]:
    """(session id, attendee id), both upper case, of everyone each session expects (`_expected`)."""
    return (
        _plain(conn)
        .execute(f"SELECT upper(session_id), upper(attendee_id) FROM ({_expected(include_targets)})")
        .fetchall()
    )


def expected_fingerprint(conn: Conn) -> tuple:
    """Changes whenever `expected_pairs` may have: rows added to or removed from the registrations,
    the sessions' target groups or the attendees' groups."""
    return tuple(
        fetch_one(
            conn,
            """SELECT (SELECT COUNT(*) FROM registrations), (SELECT MAX(rowid) FROM registrations),
                      (SELECT COUNT(*) FROM session_targets), (SELECT MAX(rowid) FROM session_targets),
                      (SELECT COUNT(*) FROM attendee_groups), (SELECT MAX(rowid) FROM attendee_groups)""",
        )
    )


def inside_counts(conn: Conn) -> dict[str, int]:
    """Session id (upper case) -> people inside (`presence`: what its room display shows)."""
    rows = fetch_all(conn, "SELECT session_id, COUNT(*) FROM presence WHERE inside = 1 GROUP BY session_id")
    return {r[0].upper(): r[1] for r in rows}


# ---------------------------------------------------------------- one session


class Person(NamedTuple):
    attendee_id: str
    name: str
    since: datetime | None = None  # inside: their last check-in
    registered: bool = False  # a no-show: why they were expected
    targeted: bool = False


def inside_now(conn: Conn, session_id: str) -> list[Person]:
    """Who is inside the session now (the room display's count), by name."""
    rows = fetch_all(
        conn,
        """SELECT a.attendee_id, a.name, l.at FROM presence p
           JOIN attendees a ON a.attendee_id = p.attendee_id
           JOIN attendance_log l ON l.id = p.last_log_id
           WHERE p.session_id = ? AND p.inside = 1 ORDER BY a.name, a.attendee_id""",
        (session_id,),
    )
    return [Person(r[0], r[1], from_db(r[2])) for r in rows]


def no_shows(conn: Conn, session_id: str, include_targets: bool) -> list[Person]:
    """Everyone the session expects (registered, or targeted when the access-control mode lets
    targeted people in) with no effective check-in to it, by name."""
    rows = fetch_all(
        conn,
        f"""WITH registered AS (SELECT attendee_id FROM registrations WHERE session_id = :s),
                 targeted AS (SELECT g.attendee_id FROM session_targets t
                              JOIN attendee_groups g ON g.group_name = t.group_name
                              WHERE t.session_id = :s AND :include)
            SELECT a.attendee_id, a.name,
                   a.attendee_id IN (SELECT attendee_id FROM registered),
                   a.attendee_id IN (SELECT attendee_id FROM targeted)
            FROM attendees a
            WHERE (a.attendee_id IN (SELECT attendee_id FROM registered)
                   OR a.attendee_id IN (SELECT attendee_id FROM targeted))
              AND NOT EXISTS (SELECT 1 FROM attendance_log l
                              WHERE l.session_id = :s AND l.attendee_id = a.attendee_id AND {ARRIVED})
            ORDER BY a.name, a.attendee_id""",
        {"s": session_id, "include": int(include_targets)},
    )
    return [Person(r[0], r[1], None, bool(r[2]), bool(r[3])) for r in rows]


class Refusal(NamedTuple):
    at: datetime
    attendee_id: str | None
    name: str | None
    method: str
    reason: str


def session_refusals(conn: Conn, session_id: str, limit: int = 50) -> list[Refusal]:
    rows = fetch_all(
        conn,
        """SELECT l.at, l.attendee_id, a.name, l.method, l.reason FROM attendance_log l
           LEFT JOIN attendees a ON a.attendee_id = l.attendee_id
           WHERE l.session_id = ? AND l.accepted = 0 ORDER BY l.id DESC LIMIT ?""",
        (session_id, limit),
    )
    return [Refusal(from_db(r[0]), r[1], r[2], r[3], r[4]) for r in rows]
