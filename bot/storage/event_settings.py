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


ONE_ROOM_KEY = "one_room_at_a_time"


def one_room_at_a_time(conn: Conn) -> bool:
    """Whether a check-in ends the person's visit of any session overlapping it in time (on by default)."""
    return get_setting(conn, ONE_ROOM_KEY) != "off"


def set_one_room_at_a_time(conn: Conn, on: bool) -> None:
    set_setting(conn, ONE_ROOM_KEY, "on" if on else "off")
