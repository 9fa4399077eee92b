"""Event-wide settings: one key-value table (secrets, preferences, the bot's username)."""

from __future__ import annotations

from bot.storage.sql import Conn, fetch_one


def get_setting(conn: Conn, key: str) -> str | None:
    row = fetch_one(conn, "SELECT value FROM settings WHERE key = ?", (key,))
    return None if row is None else row[0]


def set_setting(conn: Conn, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
