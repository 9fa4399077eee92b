"""Queries about the languages people chose with /language."""

from __future__ import annotations

from datetime import datetime

from bot.domain.times import to_db
from bot.storage.sql import Conn, fetch_all


def chosen_languages(conn: Conn) -> dict[int, str]:
    return dict(fetch_all(conn, "SELECT user_id, language FROM chosen_languages"))


def choose(conn: Conn, user_id: int, language: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO chosen_languages (user_id, language, chosen_at) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, chosen_at = excluded.chosen_at",
        (user_id, language, to_db(now)),
    )


def forget(conn: Conn, user_id: int) -> None:
    conn.execute("DELETE FROM chosen_languages WHERE user_id = ?", (user_id,))
