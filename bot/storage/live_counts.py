"""Live views for organisers: one session's counts now, one attendee's movements.

Synchronous queries run like every use case in the database thread; what
counts as attendance is defined once, in `bot.storage.report_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from bot.domain.report_rows import Movement
from bot.domain.times import from_db
from bot.storage.report_rows import MOVEMENTS_SQL, NOT_UNDONE, movement_record
from bot.storage.sql import Conn, fetch_all, fetch_one


def attendee_movements(conn: Conn, attendee_id: str) -> list[Movement]:
    rows = fetch_all(conn, MOVEMENTS_SQL.format(where="AND l.attendee_id = ?"), (attendee_id,))
    return [movement_record(r) for r in rows]


# ---------------------------------------------------------------- one session now


@dataclass(frozen=True)
class SessionCounts:
    registered: int
    targeted: int
    checked_in: int
    inside_now: int
    checked_out: int
    refused: int


SESSION_COUNTS = {
    "registered": "SELECT COUNT(*) FROM registrations WHERE session_id = ?",
    "targeted": """SELECT COUNT(DISTINCT g.attendee_id) FROM session_targets t
                   JOIN attendee_groups g ON g.group_name = t.group_name WHERE t.session_id = ?""",
    "checked_in": f"""SELECT COUNT(DISTINCT l.attendee_id) FROM attendance_log l
                      WHERE l.session_id = ? AND l.accepted = 1 AND l.direction = 'IN' AND {NOT_UNDONE}""",
    "inside_now": "SELECT COUNT(*) FROM presence WHERE session_id = ? AND inside = 1",
    "checked_out": "SELECT COUNT(*) FROM presence WHERE session_id = ? AND inside = 0",
    "refused": "SELECT COUNT(*) FROM attendance_log WHERE session_id = ? AND accepted = 0",
}


def session_counts(conn: Conn, session_id: str) -> SessionCounts:
    """`checked_in` counts people (not visits) with an effective check-in;
    `checked_out` those whose last record is a check-out."""
    values = {name: fetch_one(conn, sql, (session_id,))[0] for name, sql in SESSION_COUNTS.items()}
    return SessionCounts(**values)


class RecentCheckin(NamedTuple):
    at: datetime
    attendee_id: str
    name: str
    method: str
    override: bool


def recent_checkins(conn: Conn, session_id: str, limit: int = 5) -> list[RecentCheckin]:
    rows = fetch_all(
        conn,
        f"""SELECT l.at, l.attendee_id, a.name, l.method, l.override FROM attendance_log l
                               JOIN attendees a ON a.attendee_id = l.attendee_id
                               WHERE l.session_id = ? AND l.accepted = 1 AND l.direction = 'IN' AND {NOT_UNDONE}
                               ORDER BY l.id DESC LIMIT ?""",
        (session_id, limit),
    )
    return [RecentCheckin(from_db(r[0]), r[1], r[2], r[3], bool(r[4])) for r in rows]


def session_movements(conn: Conn, session_id: str) -> list[tuple[datetime, str]]:
    """Every effective IN and OUT at a session, oldest first: (time, direction), for its charts."""
    rows = fetch_all(
        conn,
        f"""SELECT l.at, l.direction FROM attendance_log l
            WHERE l.session_id = ? AND l.accepted = 1 AND l.direction IN ('IN', 'OUT') AND {NOT_UNDONE}
            ORDER BY l.at, l.id""",
        (session_id,),
    )
    return [(from_db(r[0]), r[1]) for r in rows]


class SessionLine(NamedTuple):
    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    capacity: int | None
    checked_in: int
    inside_now: int


def all_session_counts(conn: Conn) -> list[SessionLine]:
    """Every session with its live counts, in one statement (the dashboard polls it)."""
    rows = fetch_all(
        conn,
        f"""SELECT s.session_id, s.title, s.starts_at, s.ends_at, s.room, s.capacity,
                   (SELECT COUNT(DISTINCT l.attendee_id) FROM attendance_log l WHERE l.session_id = s.session_id
                      AND l.accepted = 1 AND l.direction = 'IN' AND {NOT_UNDONE}),
                   (SELECT COUNT(*) FROM presence p WHERE p.session_id = s.session_id AND p.inside = 1)
            FROM sessions s ORDER BY s.starts_at, s.session_id""",
    )
    return [SessionLine(r[0], r[1], from_db(r[2]), from_db(r[3]), r[4], r[5], r[6], r[7]) for r in rows]


class RecentRefusal(NamedTuple):
    at: datetime
    session_id: str | None
    attendee: str | None
    method: str
    reason: str


def recent_refusals(conn: Conn, limit: int = 20) -> list[RecentRefusal]:
    rows = fetch_all(
        conn,
        """SELECT l.at, l.session_id, a.name, l.method, l.reason FROM attendance_log l
           LEFT JOIN attendees a ON a.attendee_id = l.attendee_id
           WHERE l.accepted = 0 ORDER BY l.id DESC LIMIT ?""",
        (limit,),
    )
    return [RecentRefusal(from_db(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def display_counts(conn: Conn, session_id: str) -> tuple[int, int]:
    """(people checked in so far, people inside now) in one statement: every room display asks it."""
    row = fetch_one(
        conn,
        f"""SELECT (SELECT COUNT(DISTINCT l.attendee_id) FROM attendance_log l WHERE l.session_id = :s
                      AND l.accepted = 1 AND l.direction = 'IN' AND {NOT_UNDONE}),
                   (SELECT COUNT(*) FROM presence WHERE session_id = :s AND inside = 1)""",
        {"s": session_id},
    )
    return row[0], row[1]
