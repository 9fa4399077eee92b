"""Reminders before sessions: which sessions are due, whom to remind, and the reminders an agenda
change made stale (bot/services/reminders.py decides; migration 008 adds the columns)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.times import to_db
from bot.storage.records import SessionRow, session_record
from bot.storage.sql import Conn, fetch_all, fetch_one

# One reminder per session, attendee and start time: a moved session is reminded again.
_KEY = "'reminder:' || s.session_id || ':' || a.attendee_id || ':' || s.starts_at"


@dataclass(frozen=True)
class Recipient:
    attendee_id: str
    user_id: int
    dedupe_key: str


def sessions_starting(conn: Conn, after: datetime, until: datetime) -> list[SessionRow]:
    """Sessions starting after `after` and no later than `until`, in start order."""
    rows = fetch_all(
        conn,
        "SELECT * FROM sessions WHERE starts_at > ? AND starts_at <= ? ORDER BY starts_at, session_id",
        (to_db(after), to_db(until)),
    )
    return [session_record(r) for r in rows]


def recipients(conn: Conn, session_id: str, include_targets: bool) -> list[Recipient]:
    """Linked attendees registered for the session (or, with `include_targets`, in one of its target
    groups) who have no reminder of its current start time yet and did not mute the bot."""
    rows = fetch_all(
        conn,
        f"""SELECT a.attendee_id, a.telegram_user_id, {_KEY} FROM attendees a JOIN sessions s ON s.session_id = :s
            WHERE a.telegram_user_id IS NOT NULL
              AND (EXISTS (SELECT 1 FROM registrations r WHERE r.attendee_id = a.attendee_id AND r.session_id = :s)
                   OR (:include AND EXISTS (SELECT 1 FROM session_targets t JOIN attendee_groups g
                                            ON g.group_name = t.group_name
                                            WHERE t.session_id = :s AND g.attendee_id = a.attendee_id)))
              AND NOT EXISTS (SELECT 1 FROM muted m WHERE m.user_id = a.telegram_user_id)
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = {_KEY})
            ORDER BY a.attendee_id""",
        {"s": session_id, "include": int(include_targets)},
    )
    return [Recipient(r[0], r[1], r[2]) for r in rows]


def broadcast_for(conn: Conn, session: SessionRow, now: datetime) -> int:
    """The reminder broadcast of a session at its current start time (created the first time)."""
    starts_at = to_db(session.starts_at)
    row = fetch_one(
        conn,
        "SELECT id FROM broadcasts WHERE kind = 'reminder' AND session_id = ? AND starts_at = ?",
        (session.session_id, starts_at),
    )
    if row is not None:
        return row[0]
    cur = conn.execute(
        "INSERT INTO broadcasts (kind, created_at, session_id, starts_at) VALUES ('reminder', ?, ?, ?)",
        (to_db(now), session.session_id, starts_at),
    )
    return cur.lastrowid


def drop_moved(conn: Conn, now: datetime) -> list[tuple[str, int]]:
    """Waiting reminders of a start time their session no longer has (an import or a time zone change
    moved it, or it is gone) are `dropped`: the new time gets reminders of its own.
    Returns (session id, how many) per session."""
    stale = """SELECT b.id, b.session_id FROM broadcasts b LEFT JOIN sessions s ON s.session_id = b.session_id
               WHERE b.kind = 'reminder' AND b.starts_at IS NOT NULL
                 AND (s.session_id IS NULL OR s.starts_at != b.starts_at)"""
    rows = fetch_all(
        conn,
        f"""SELECT coalesce(x.session_id, '?'), count(*) FROM outbox o JOIN ({stale}) x ON x.id = o.broadcast_id
            WHERE o.state = 'waiting' GROUP BY x.session_id""",
    )
    if rows:
        conn.execute(
            f"""UPDATE outbox SET state = 'dropped', done_at = ?, error = 'its session moved'
                WHERE state = 'waiting' AND broadcast_id IN (SELECT id FROM ({stale}))""",
            (to_db(now),),
        )
    return [(r[0], r[1]) for r in rows]


def session_of_broadcast(conn: Conn, broadcast_id: int) -> str | None:
    row = fetch_one(conn, "SELECT session_id FROM broadcasts WHERE id = ? AND kind = 'reminder'", (broadcast_id,))
    return row[0] if row else None
