"""Single-use tokens behind yes/no prompts for destructive organiser actions."""

from __future__ import annotations

from datetime import datetime

from bot.domain.times import to_db
from bot.storage.sql import Conn, fetch_one


def create_confirmation(conn: Conn, token: str, user_id: int, action: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO confirmations (token, user_id, action, created_at) VALUES (?, ?, ?, ?)",
        (token, user_id, action, to_db(now)),
    )


def use_confirmation(conn: Conn, token: str, user_id: int, action: str, now: datetime, not_before: datetime) -> bool:
    """Consume a pending confirmation; False if unknown, someone else's, used or stale."""
    cur = conn.execute(
        """UPDATE confirmations SET used_at = ? WHERE token = ? AND user_id = ? AND action = ?
           AND used_at IS NULL AND created_at >= ?""",
        (to_db(now), token, user_id, action, to_db(not_before)),
    )
    return cur.rowcount == 1


def confirmation_action(conn: Conn, token: str) -> str | None:
    row = fetch_one(conn, "SELECT action FROM confirmations WHERE token = ?", (token,))
    return None if row is None else row[0]
