"""The outbox: messages the bot sends on its own initiative, and the broadcasts they belong to.

A message is written in the same transaction as the decision to send it, and its `state`
records what Telegram confirmed (migration 007 draws the states). The sender claims a row
(`claim`: waiting → sending, committed) before its request and settles it after the answer,
so a crash leaves at most the rows that were in flight as `sending`; `interrupted` turns
those into `unknown` at the next start, and they are never sent again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.times import from_db, to_db
from bot.storage.sql import Conn, fetch_all, fetch_one

# The states of a message that is over, one way or another.
FINAL = ("sent", "blocked", "failed", "unknown", "cancelled", "dropped")


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    broadcast_id: int
    chat_id: int
    payload: dict
    attempts: int


@dataclass(frozen=True)
class Planned:
    """One message to queue: to whom, what (a Bot API method and its parameters), and optionally
    a key that makes it once-only across broadcasts, a time it must not go out before, and a
    time from which it must not go out at all (a reminder once its session has started)."""

    chat_id: int
    payload: dict
    dedupe_key: str | None = None
    not_before: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    kind: str
    session_id: str | None
    audience: str
    text: str
    state: str
    created_by: int | None
    progress_chat_id: int | None
    progress_message_id: int | None


def create_broadcast(
    conn: Conn,
    kind: str,
    now: datetime,
    *,
    created_by: int | None = None,
    session_id: str | None = None,
    audience: str = "",
    text: str = "",
) -> int:
    cur = conn.execute(
        "INSERT INTO broadcasts (kind, created_at, created_by, session_id, audience, text) VALUES (?, ?, ?, ?, ?, ?)",
        (kind, to_db(now), created_by, session_id, audience, text),
    )
    return cur.lastrowid


def enqueue(conn: Conn, broadcast_id: int, messages: Iterable[Planned], now: datetime) -> int:
    """Queue messages; one already queued for the same recipient of the broadcast, or with the same
    `dedupe_key`, is left as it is. Returns how many were queued."""
    before = conn.total_changes
    conn.executemany(
        """INSERT OR IGNORE INTO outbox (broadcast_id, chat_id, payload, not_before, created_at, dedupe_key, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                broadcast_id,
                m.chat_id,
                json.dumps(m.payload, ensure_ascii=False),
                to_db(m.not_before) if m.not_before else None,
                to_db(now),
                m.dedupe_key,
                to_db(m.expires_at) if m.expires_at else None,
            )
            for m in messages
        ],
    )
    return conn.total_changes - before


def due(conn: Conn, now: datetime, limit: int) -> list[int]:
    """Ids of waiting messages that may go out now, oldest first, of broadcasts still sending
    (never one past its `expires_at`: `drop_expired` settles those)."""
    rows = fetch_all(
        conn,
        """SELECT o.id FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id
           WHERE o.state = 'waiting' AND b.state = 'sending' AND (o.not_before IS NULL OR o.not_before <= ?)
             AND (o.expires_at IS NULL OR o.expires_at > ?)
           ORDER BY o.id LIMIT ?""",
        (to_db(now), to_db(now), limit),
    )
    return [r[0] for r in rows]


def next_due_time(conn: Conn) -> datetime | None:
    """When the earliest waiting message with a `not_before` may go out (one expiring first never will)."""
    row = fetch_one(
        conn,
        """SELECT min(o.not_before) FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id
           WHERE o.state = 'waiting' AND b.state = 'sending' AND o.not_before IS NOT NULL
             AND (o.expires_at IS NULL OR o.expires_at > o.not_before)""",
    )
    return from_db(row[0]) if row and row[0] else None


def drop_expired(conn: Conn, now: datetime) -> dict[int, int]:
    """Waiting messages past their `expires_at` are `dropped`, never sent. Returns how many, by broadcast."""
    rows = fetch_all(
        conn,
        """SELECT broadcast_id, count(*) FROM outbox WHERE state = 'waiting' AND expires_at <= ?
           GROUP BY broadcast_id""",
        (to_db(now),),
    )
    conn.execute(
        "UPDATE outbox SET state = 'dropped', done_at = ?, error = 'expired before it could be sent' "
        "WHERE state = 'waiting' AND expires_at <= ?",
        (to_db(now), to_db(now)),
    )
    return {r[0]: r[1] for r in rows}


def claim(conn: Conn, outbox_id: int) -> OutboxMessage | None:
    """Take a waiting message for sending (it becomes `sending`); None if it is not waiting any more."""
    cur = conn.execute(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ? AND state = 'waiting'",
        (outbox_id,),
    )
    if cur.rowcount != 1:
        return None
    row = fetch_one(conn, "SELECT id, broadcast_id, chat_id, payload, attempts FROM outbox WHERE id = ?", (outbox_id,))
    return OutboxMessage(row[0], row[1], row[2], json.loads(row[3]), row[4])


def settle(
    conn: Conn, outbox_id: int, state: str, now: datetime, message_id: int | None = None, error: str = ""
) -> None:
    """What became of a message that was being sent."""
    if state not in FINAL:
        raise ValueError(f"not a final state: {state}")
    conn.execute(
        "UPDATE outbox SET state = ?, done_at = ?, message_id = ?, error = ? WHERE id = ? AND state = 'sending'",
        (state, to_db(now), message_id, error[:500], outbox_id),
    )


def try_again(conn: Conn, outbox_id: int, not_before: datetime, error: str) -> None:
    """A message Telegram certainly did not get (no connection, a server error): it waits again."""
    conn.execute(
        "UPDATE outbox SET state = 'waiting', not_before = ?, error = ? WHERE id = ? AND state = 'sending'",
        (to_db(not_before), error[:500], outbox_id),
    )


def interrupted(conn: Conn, now: datetime) -> int:
    """At start: messages left `sending` by a stop in the middle of their request become `unknown`."""
    cur = conn.execute(
        "UPDATE outbox SET state = 'unknown', done_at = ?, error = 'the bot stopped while sending it' "
        "WHERE state = 'sending'",
        (to_db(now),),
    )
    return cur.rowcount


def counts(conn: Conn, broadcast_id: int) -> dict[str, int]:
    rows = fetch_all(conn, "SELECT state, count(*) FROM outbox WHERE broadcast_id = ? GROUP BY state", (broadcast_id,))
    return {r[0]: r[1] for r in rows}


def get_broadcast(conn: Conn, broadcast_id: int) -> BroadcastRow | None:
    row = fetch_one(
        conn,
        """SELECT id, kind, session_id, audience, text, state, created_by, progress_chat_id, progress_message_id
           FROM broadcasts WHERE id = ?""",
        (broadcast_id,),
    )
    return BroadcastRow(*row) if row else None


def broadcasts_sending(conn: Conn, kind: str | None = None) -> list[BroadcastRow]:
    rows = fetch_all(
        conn,
        """SELECT id, kind, session_id, audience, text, state, created_by, progress_chat_id, progress_message_id
           FROM broadcasts WHERE state = 'sending' AND (? IS NULL OR kind = ?) ORDER BY id""",
        (kind, kind),
    )
    return [BroadcastRow(*r) for r in rows]


def set_progress_message(conn: Conn, broadcast_id: int, chat_id: int, message_id: int) -> None:
    conn.execute(
        "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


def finish_broadcasts(conn: Conn, now: datetime) -> list[int]:
    """Announcements with nothing left waiting or being sent are done; returns their ids.
    (Reminders stay open: a session's reminder broadcast takes in whoever registers later.)"""
    rows = fetch_all(
        conn,
        """SELECT b.id FROM broadcasts b WHERE b.state = 'sending' AND b.kind = 'announcement'
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.broadcast_id = b.id AND o.state IN ('waiting', 'sending'))""",
    )
    ids = [r[0] for r in rows]
    conn.executemany(
        "UPDATE broadcasts SET state = 'done', finished_at = ? WHERE id = ?", [(to_db(now), i) for i in ids]
    )
    return ids


def stop_broadcast(conn: Conn, broadcast_id: int, now: datetime) -> int:
    """Stop a broadcast: what is still waiting is cancelled (what is being sent finishes). Returns how many."""
    conn.execute(
        "UPDATE broadcasts SET state = 'stopped', finished_at = ? WHERE id = ? AND state = 'sending'",
        (to_db(now), broadcast_id),
    )
    cur = conn.execute(
        "UPDATE outbox SET state = 'cancelled', done_at = ? WHERE broadcast_id = ? AND state = 'waiting'",
        (to_db(now), broadcast_id),
    )
    return cur.rowcount
