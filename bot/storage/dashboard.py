"""What the organiser dashboard reads: the day's sessions with their counts, arrivals and movements per
5 minutes, the event's totals, and one session's people (inside now, no-shows, refusals).

Each function is one or two aggregate statements: SQLite does the counting (and lets go of
Python's lock while it does), so a day of 50,000 log rows comes back as a few thousand numbers.
What counts as attendance is `bot.storage.report_rows`'s: an accepted IN or OUT no UNDO annuls.

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
from bot.storage.report_rows import EFFECTIVE, NOT_UNDONE
from bot.storage.sql import Conn, fetch_all, fetch_one

ARRIVED = f"l.accepted = 1 AND l.direction = 'IN' AND {NOT_UNDONE}"
# The start of the row's 5 minutes, 'YYYY-MM-DDTHH:MM' in UTC (times are stored as UTC text).
BUCKET = "substr(l.at, 1, 14) || printf('%02d', (CAST(substr(l.at, 15, 2) AS INTEGER) / 5) * 5)"


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


class SessionNumbers(NamedTuple):
    arrived: int  # people with an effective check-in
    inside: int  # people whose last record is a check-in (`presence`: what the room display shows)
    expected: int  # registered, and targeted when the access-control mode lets them in
    expected_arrived: int  # of those, people who arrived


def session_numbers(conn: Conn, include_targets: bool) -> dict[str, SessionNumbers]:
    """Session id (upper case) -> its numbers, for every session with any."""
    found: dict[str, list[int]] = {}

    def put(rows, index: int) -> None:
        for r in rows:
            found.setdefault(r[0].upper(), [0, 0, 0, 0])[index] = r[1]

    put(
        fetch_all(
            conn,
            f"SELECT l.session_id, COUNT(DISTINCT l.attendee_id) FROM attendance_log l "
            f"WHERE {ARRIVED} AND l.session_id IS NOT NULL GROUP BY l.session_id",
        ),
        0,
    )
    put(fetch_all(conn, "SELECT session_id, COUNT(*) FROM presence WHERE inside = 1 GROUP BY session_id"), 1)
    rows = fetch_all(
        conn,
        f"""WITH expected(session_id, attendee_id) AS ({_expected(include_targets)}),
                 arrived(session_id, attendee_id) AS (
                    SELECT DISTINCT l.session_id, l.attendee_id FROM attendance_log l WHERE {ARRIVED})
            SELECT e.session_id, COUNT(*), COUNT(a.attendee_id) FROM expected e
            LEFT JOIN arrived a ON a.session_id = e.session_id AND a.attendee_id = e.attendee_id
            GROUP BY e.session_id""",
    )
    for r in rows:
        numbers = found.setdefault(r[0].upper(), [0, 0, 0, 0])
        numbers[2], numbers[3] = r[1], r[2]
    return {session_id: SessionNumbers(*numbers) for session_id, numbers in found.items()}


class Movements(NamedTuple):
    session_id: str  # upper case
    bucket: datetime  # the start of its 5 minutes (UTC)
    ins: int
    outs: int


def movements_per_5_minutes(conn: Conn, start: datetime, end: datetime) -> list[Movements]:
    """Effective check-ins and check-outs per session and 5 minutes between `start` and `end`."""
    rows = fetch_all(
        conn,
        f"""SELECT upper(l.session_id), {BUCKET}, SUM(l.direction = 'IN'), SUM(l.direction = 'OUT')
            FROM attendance_log l WHERE {EFFECTIVE} AND l.at >= ? AND l.at < ? AND l.session_id IS NOT NULL
            GROUP BY 1, 2""",
        (to_db(start), to_db(end)),
    )
    return [Movements(r[0], datetime.fromisoformat(r[1] + ":00+00:00"), r[2], r[3]) for r in rows]


class DayTotals(NamedTuple):
    people_arrived: int  # people with an effective check-in between the day's start and end
    expected: int  # people a session of the day expects
    expected_arrived: int  # of those, people with an effective check-in that day
    inside_now: int  # people inside a session that has not ended (each counted once)


def day_totals(conn: Conn, start: datetime, end: datetime, now: datetime, include_targets: bool) -> DayTotals:
    span = {"start": to_db(start), "end": to_db(end), "now": to_db(now)}
    row = fetch_one(
        conn,
        f"""WITH expected(session_id, attendee_id) AS ({_expected(include_targets)}),
                 today AS (SELECT session_id FROM sessions WHERE starts_at < :end AND ends_at > :start),
                 came AS (SELECT DISTINCT l.attendee_id FROM attendance_log l
                          WHERE {ARRIVED} AND l.at >= :start AND l.at < :end),
                 awaited AS (SELECT DISTINCT e.attendee_id FROM expected e JOIN today t ON t.session_id = e.session_id)
            SELECT (SELECT COUNT(*) FROM came),
                   (SELECT COUNT(*) FROM awaited),
                   (SELECT COUNT(*) FROM awaited w JOIN came c ON c.attendee_id = w.attendee_id),
                   (SELECT COUNT(DISTINCT p.attendee_id) FROM presence p JOIN sessions s ON s.session_id = p.session_id
                    WHERE p.inside = 1 AND s.ends_at > :now)""",
        span,
    )
    return DayTotals(row[0], row[1], row[2], row[3])


class RecentActivity(NamedTuple):
    checkins: int
    refusals: int
    reasons: list[tuple[str, int]]  # the most frequent refusal reasons, most frequent first


def recent_activity(conn: Conn, since: datetime, top: int = 3) -> RecentActivity:
    """Effective check-ins and refused attempts since `since`, with the top refusal reasons."""
    moment = to_db(since)
    checkins = fetch_one(conn, f"SELECT COUNT(*) FROM attendance_log l WHERE {ARRIVED} AND l.at >= ?", (moment,))[0]
    reasons = fetch_all(
        conn,
        """SELECT reason, COUNT(*) FROM attendance_log WHERE accepted = 0 AND at >= ?
           GROUP BY reason ORDER BY 2 DESC, 1""",
        (moment,),
    )
    return RecentActivity(checkins, sum(r[1] for r in reasons), [(r[0], r[1]) for r in reasons[:top]])


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
