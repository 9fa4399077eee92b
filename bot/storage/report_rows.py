"""Rows behind the organiser's report files, streamed from a read snapshot.

What counts as attendance: an *effective* record is an accepted IN or OUT row
that no UNDO row annuls. An override is itself an accepted IN row (with
`override = 1`), so it counts like any check-in; the refused row it overrides
stays a refused attempt.

Reports read through `snapshot()`, a connection of their own inside one read
transaction: WAL gives it a consistent picture of the event without taking the
writers' lock, so a 100,000-row report never holds up check-ins at the doors.
Large results come in chunks of `CHUNK` rows, never as one list.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import aiosqlite

from bot.domain.report_rows import CheckinRow, Movement, RefusedRow
from bot.domain.times import from_db
from bot.domain.visits import SessionSpan

Snapshot = aiosqlite.Connection
"""A connection of its own holding one read transaction (see `snapshot`)."""

CHUNK = 2000

NOT_UNDONE = "NOT EXISTS (SELECT 1 FROM attendance_log u WHERE u.ref_id = l.id AND u.direction = 'UNDO')"
EFFECTIVE = f"l.accepted = 1 AND l.direction IN ('IN', 'OUT') AND {NOT_UNDONE}"

# "Olga Smith (@olga)": a readable name first, so the label never starts with '@'.
SCANNER_LABEL = """CASE
    WHEN l.scanner_user_id IS NULL THEN ''
    WHEN u.user_id IS NULL THEN CAST(l.scanner_user_id AS TEXT)
    ELSE trim(trim(u.first_name || ' ' || u.last_name)
              || CASE WHEN u.username IS NULL THEN '' ELSE ' (@' || u.username || ')' END)
END"""


@asynccontextmanager
async def snapshot(path: str) -> AsyncIterator[Snapshot]:
    """A separate read-only connection holding one read transaction."""
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=30)
    try:
        await conn.execute("PRAGMA query_only = ON")
        await conn.execute("BEGIN")
        yield conn
        await conn.execute("COMMIT")
    finally:
        await conn.close()


async def _snapshot_one(conn: aiosqlite.Connection, sql: str, params: tuple = ()):
    rows = await conn.execute_fetchall(sql, params)
    return rows[0] if rows else None


async def _chunks(conn: Snapshot, sql: str, params: tuple, make) -> AsyncIterator[list]:
    async with conn.execute(sql, params) as cursor:
        while rows := await cursor.fetchmany(CHUNK):
            yield [make(r) for r in rows]


# ---------------------------------------------------------------- reports

CHECKINS_SQL = f"""
SELECT l.session_id, s.title, s.starts_at, l.attendee_id, a.name, a.email, l.at, l.method, {SCANNER_LABEL},
       EXISTS (SELECT 1 FROM registrations r WHERE r.attendee_id = l.attendee_id AND r.session_id = l.session_id),
       EXISTS (SELECT 1 FROM session_targets t JOIN attendee_groups g ON g.group_name = t.group_name
               WHERE t.session_id = l.session_id AND g.attendee_id = l.attendee_id),
       l.override
FROM attendance_log l
JOIN sessions s ON s.session_id = l.session_id
JOIN attendees a ON a.attendee_id = l.attendee_id
LEFT JOIN telegram_users u ON u.user_id = l.scanner_user_id
WHERE l.accepted = 1 AND l.direction = 'IN' AND {NOT_UNDONE}
ORDER BY s.starts_at, s.session_id, l.id"""


def _checkin(r: sqlite3.Row | tuple) -> CheckinRow:
    return CheckinRow(
        r[0], r[1], from_db(r[2]), r[3], r[4], r[5], from_db(r[6]), r[7], r[8], bool(r[9]), bool(r[10]), bool(r[11])
    )


def checkin_rows(conn: Snapshot) -> AsyncIterator[list[CheckinRow]]:
    """Every effective check-in, by session then time.

    `registered` and `targeted` are today's facts, not those at the door: the
    report answers "did the people on the list come", and registrations are
    often imported after the doors opened.
    """
    return _chunks(conn, CHECKINS_SQL, (), _checkin)


MOVEMENTS_SQL = f"""
SELECT l.session_id, s.title, s.starts_at, l.attendee_id, a.name, a.email, l.direction, l.at
FROM attendance_log l
JOIN sessions s ON s.session_id = l.session_id
JOIN attendees a ON a.attendee_id = l.attendee_id
WHERE {EFFECTIVE} {{where}}
ORDER BY s.starts_at, s.session_id, l.attendee_id, l.id"""


def movement_record(r) -> Movement:
    return Movement(r[0], r[1], from_db(r[2]), r[3], r[4], r[5], r[6], from_db(r[7]))


def movements(conn: Snapshot) -> AsyncIterator[list[Movement]]:
    """Every effective IN and OUT, grouped by session and person, in log order
    within a person (what pairing check-ins with check-outs needs)."""
    return _chunks(conn, MOVEMENTS_SQL.format(where=""), (), movement_record)


PERSON_MOVEMENTS_SQL = f"""
SELECT l.session_id, s.title, s.starts_at, l.attendee_id, a.name, a.email, l.direction, l.at
FROM attendance_log l
JOIN sessions s ON s.session_id = l.session_id
JOIN attendees a ON a.attendee_id = l.attendee_id
WHERE {EFFECTIVE}
ORDER BY l.attendee_id, l.session_id, l.id"""


def person_movements(conn: Snapshot) -> AsyncIterator[list[Movement]]:
    """Every effective IN and OUT grouped by person (the index on attendee, session, id gives
    this order without sorting): what working out each person's visits needs, one at a time."""
    return _chunks(conn, PERSON_MOVEMENTS_SQL, (), movement_record)


async def session_spans(conn: Snapshot) -> dict[str, SessionSpan]:
    rows = await conn.execute_fetchall("SELECT session_id, starts_at, ends_at FROM sessions")
    return {r[0]: SessionSpan(r[0], from_db(r[1]), from_db(r[2])) for r in rows}


async def setting(conn: Snapshot, key: str) -> str | None:
    row = await _snapshot_one(conn, "SELECT value FROM settings WHERE key = ?", (key,))
    return None if row is None else row[0]


REFUSED_SQL = f"""
SELECT l.at, l.session_id, s.title, l.attendee_id, a.name, l.direction, l.method, l.reason, {SCANNER_LABEL},
       EXISTS (SELECT 1 FROM attendance_log o WHERE o.ref_id = l.id AND o.override = 1 AND o.accepted = 1
               AND NOT EXISTS (SELECT 1 FROM attendance_log u WHERE u.ref_id = o.id AND u.direction = 'UNDO')),
       l.detail
FROM attendance_log l
LEFT JOIN sessions s ON s.session_id = l.session_id
LEFT JOIN attendees a ON a.attendee_id = l.attendee_id
LEFT JOIN telegram_users u ON u.user_id = l.scanner_user_id
WHERE l.accepted = 0
ORDER BY l.id"""


def _refused(r) -> RefusedRow:
    return RefusedRow(from_db(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], bool(r[9]), r[10])


def refused_rows(conn: Snapshot) -> AsyncIterator[list[RefusedRow]]:
    """Every refused attempt, oldest first; `overridden` when a standing override answered it."""
    return _chunks(conn, REFUSED_SQL, (), _refused)


async def time_span(conn: Snapshot) -> tuple[datetime, datetime] | None:
    """Earliest and latest instant a report shows (log times and session starts),
    so the header can state the UTC offset(s) that apply."""
    row = await _snapshot_one(
        conn,
        """SELECT MIN(lo), MAX(hi) FROM (
                                  SELECT MIN(at) AS lo, MAX(at) AS hi FROM attendance_log
                                  UNION ALL SELECT MIN(starts_at), MAX(starts_at) FROM sessions)""",
    )
    if row is None or row[0] is None:
        return None
    return from_db(row[0]), from_db(row[1])
