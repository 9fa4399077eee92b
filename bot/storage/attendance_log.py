"""The append-only attendance log, and presence (who is inside) derived from it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.times import from_db, to_db
from bot.storage.records import LogEntry, LogRow, SessionRow, log_record, session_record
from bot.storage.sql import Conn, fetch_all, fetch_one


@dataclass(frozen=True)
class AttendanceFacts:
    """What the rule engine needs to know about one attendee at one session."""

    registered: bool
    targeted: bool
    last_direction: str | None
    last_at: datetime | None
    others_inside: int
    acl_mode: str | None
    window_settings: str | None


def attendance_facts(conn: Conn, attendee_id: str, session_id: str) -> AttendanceFacts:
    """One statement instead of five: this runs for every check-in of a rush."""
    row = fetch_one(
        conn,
        """SELECT
               EXISTS (SELECT 1 FROM registrations WHERE attendee_id = :a AND session_id = :s),
               EXISTS (SELECT 1 FROM session_targets t JOIN attendee_groups g ON g.group_name = t.group_name
                       WHERE t.session_id = :s AND g.attendee_id = :a),
               (SELECT l.direction FROM presence p JOIN attendance_log l ON l.id = p.last_log_id
                WHERE p.attendee_id = :a AND p.session_id = :s),
               (SELECT l.at FROM presence p JOIN attendance_log l ON l.id = p.last_log_id
                WHERE p.attendee_id = :a AND p.session_id = :s),
               (SELECT COUNT(*) FROM presence WHERE session_id = :s AND inside = 1)
                 - (SELECT COUNT(*) FROM presence WHERE session_id = :s AND attendee_id = :a AND inside = 1),
               (SELECT value FROM settings WHERE key = 'acl_mode'),
               (SELECT value FROM settings WHERE key = 'checkin_window')""",
        {"a": attendee_id, "s": session_id},
    )
    return AttendanceFacts(
        bool(row[0]), bool(row[1]), row[2], from_db(row[3]) if row[3] else None, row[4], row[5], row[6]
    )


def insert_log(conn: Conn, e: LogEntry) -> int:
    cur = conn.execute(
        """INSERT INTO attendance_log (at, attendee_id, session_id, direction, method, accepted, reason, override,
               registered, targeted, actor_user_id, scanner_user_id, ref_id, update_id, item, detail, source,
               request_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            to_db(e.at),
            e.attendee_id,
            e.session_id,
            e.direction,
            e.method,
            int(e.accepted),
            e.reason,
            int(e.override),
            None if e.registered is None else int(e.registered),
            None if e.targeted is None else int(e.targeted),
            e.actor_user_id,
            e.scanner_user_id,
            e.ref_id,
            e.update_id,
            e.item,
            e.detail,
            e.source,
            e.request_id,
        ),
    )
    return cur.lastrowid


def log_rows_for_request(conn: Conn, user_id: int, update_id: int | None, request_id: str | None) -> list[LogRow]:
    """The rows a request already wrote: by Telegram's `update_id` (the chat), else by the
    sender's own `request_id` (the Mini App); none for a request that carries neither."""
    if update_id is not None:
        sql, args = "SELECT * FROM attendance_log WHERE update_id = ? ORDER BY item", (update_id,)
    elif request_id is not None:
        sql = "SELECT * FROM attendance_log WHERE actor_user_id = ? AND request_id = ? ORDER BY item"
        args = (user_id, request_id)
    else:
        return []
    return [log_record(r) for r in fetch_all(conn, sql, args)]


def get_log_row(conn: Conn, log_id: int) -> LogRow | None:
    row = fetch_one(conn, "SELECT * FROM attendance_log WHERE id = ?", (log_id,))
    return None if row is None else log_record(row)


def is_referenced(conn: Conn, log_id: int) -> bool:
    return fetch_one(conn, "SELECT 1 FROM attendance_log WHERE ref_id = ?", (log_id,)) is not None


def wrong_pin_times(conn: Conn, user_id: int, since: datetime, reasons: Iterable[str]) -> list[datetime]:
    reasons = sorted(reasons)
    rows = fetch_all(
        conn,
        f"""SELECT at FROM attendance_log WHERE actor_user_id = ? AND at > ?
                AND reason IN ({",".join("?" * len(reasons))})""",
        (user_id, to_db(since), *reasons),
    )
    return [from_db(r[0]) for r in rows]


def people_inside(conn: Conn, session_id: str) -> int:
    return fetch_one(conn, "SELECT COUNT(*) FROM presence WHERE session_id = ? AND inside = 1", (session_id,))[0]


def set_presence(conn: Conn, attendee_id: str, session_id: str, direction: str, log_id: int) -> None:
    conn.execute(
        """INSERT INTO presence (attendee_id, session_id, inside, last_log_id) VALUES (?, ?, ?, ?)
           ON CONFLICT (attendee_id, session_id) DO UPDATE SET inside = excluded.inside,
               last_log_id = excluded.last_log_id""",
        (attendee_id, session_id, int(direction == "IN"), log_id),
    )


def recompute_presence(conn: Conn, attendee_id: str, session_id: str) -> None:
    """Rebuild one person's presence from the log (after an undo)."""
    row = fetch_one(
        conn,
        """SELECT id, direction FROM attendance_log l
           WHERE attendee_id = ? AND session_id = ? AND accepted = 1 AND direction IN ('IN', 'OUT')
             AND NOT EXISTS (SELECT 1 FROM attendance_log u WHERE u.ref_id = l.id AND u.direction = 'UNDO')
           ORDER BY id DESC LIMIT 1""",
        (attendee_id, session_id),
    )
    if row is None:
        conn.execute("DELETE FROM presence WHERE attendee_id = ? AND session_id = ?", (attendee_id, session_id))
    else:
        set_presence(conn, attendee_id, session_id, row["direction"], row["id"])


def attendee_history(conn: Conn, attendee_id: str) -> list[tuple[LogRow, SessionRow]]:
    """Accepted, not undone, check-ins and check-outs, newest first."""
    rows = fetch_all(
        conn,
        """SELECT l.*, s.title, s.starts_at, s.ends_at, s.room, s.capacity, s.access_control,
                  s.checkin_opens, s.checkin_closes, s.pin_rotation_seconds
           FROM attendance_log l JOIN sessions s ON s.session_id = l.session_id
           WHERE l.attendee_id = ? AND l.accepted = 1 AND l.direction IN ('IN', 'OUT')
             AND NOT EXISTS (SELECT 1 FROM attendance_log u WHERE u.ref_id = l.id AND u.direction = 'UNDO')
           ORDER BY l.id DESC""",
        (attendee_id,),
    )
    return [(log_record(r), session_record(r)) for r in rows]
