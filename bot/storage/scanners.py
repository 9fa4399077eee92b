"""Queries about door staff (scanners) and their sessions."""
from __future__ import annotations

from dataclasses import dataclass

from bot.storage.repo import Conn, _all, _one


@dataclass(frozen=True)
class ScannerRow:
    user_id: int
    all_sessions: bool
    current_session_id: str | None
    session_ids: tuple[str, ...]


async def get_scanner(conn: Conn, user_id: int) -> ScannerRow | None:
    row = await _one(conn, "SELECT * FROM scanners WHERE user_id = ?", (user_id,))
    if row is None:
        return None
    sessions = await _all(conn, "SELECT session_id FROM scanner_sessions WHERE user_id = ? ORDER BY session_id",
                          (user_id,))
    return ScannerRow(row["user_id"], bool(row["all_sessions"]), row["current_session_id"],
                      tuple(r[0] for r in sessions))


async def scanner_ids(conn: Conn) -> list[int]:
    return [r[0] for r in await _all(conn, "SELECT user_id FROM scanners ORDER BY user_id")]
