"""The durable update inbox: every Telegram update is stored before it is confirmed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.times import to_db
from bot.storage.sql import Conn, fetch_all


def store_updates(conn: Conn, updates: Iterable[tuple[int, str]], now: datetime) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO updates (update_id, payload, received_at) VALUES (?, ?, ?)",
        [(uid, payload, to_db(now)) for uid, payload in updates],
    )


def pending_updates(conn: Conn) -> list[tuple[int, str]]:
    rows = fetch_all(conn, "SELECT update_id, payload FROM updates WHERE done_at IS NULL ORDER BY update_id")
    return [(r[0], r[1]) for r in rows]


def mark_updates_done(conn: Conn, update_ids: list[int], now: datetime) -> None:
    conn.executemany("UPDATE updates SET done_at = ? WHERE update_id = ?", [(to_db(now), u) for u in update_ids])


def unfinished_among(conn: Conn, update_ids: list[int]) -> set[int]:
    marks = ",".join("?" * len(update_ids))
    rows = fetch_all(
        conn, f"SELECT update_id FROM updates WHERE done_at IS NULL AND update_id IN ({marks})", update_ids
    )
    return {r[0] for r in rows}
