"""Queries about door staff (scanners) and their sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.times import to_db
from bot.storage.sql import Conn, fetch_all, fetch_one


@dataclass(frozen=True)
class ScannerRow:
    user_id: int
    all_sessions: bool
    current_session_id: str | None
    session_ids: tuple[str, ...]

    def may_scan(self, session_id: str) -> bool:
        """Session ids compare without regard to case, as everywhere in the event."""
        return self.all_sessions or session_id.upper() in {s.upper() for s in self.session_ids}


def get_scanner(conn: Conn, user_id: int) -> ScannerRow | None:
    row = fetch_one(conn, "SELECT * FROM scanners WHERE user_id = ?", (user_id,))
    if row is None:
        return None
    sessions = fetch_all(
        conn, "SELECT session_id FROM scanner_sessions WHERE user_id = ? ORDER BY session_id", (user_id,)
    )
    return ScannerRow(
        row["user_id"], bool(row["all_sessions"]), row["current_session_id"], tuple(r[0] for r in sessions)
    )


def scanner_ids(conn: Conn) -> list[int]:
    return [r[0] for r in fetch_all(conn, "SELECT user_id FROM scanners ORDER BY user_id")]


def all_scanners(conn: Conn) -> list[ScannerRow]:
    return [get_scanner(conn, uid) for uid in scanner_ids(conn)]


def assign(conn: Conn, user_id: int, all_sessions: bool, session_ids: list[str], now: datetime) -> None:
    conn.execute(
        """INSERT INTO scanners (user_id, all_sessions, assigned_at) VALUES (?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET all_sessions = excluded.all_sessions""",
        (user_id, int(all_sessions), to_db(now)),
    )
    conn.execute("DELETE FROM scanner_sessions WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO scanner_sessions (user_id, session_id) VALUES (?, ?)", [(user_id, s) for s in session_ids]
    )


def remove(conn: Conn, user_id: int) -> bool:
    cur = conn.execute("DELETE FROM scanners WHERE user_id = ?", (user_id,))
    return cur.rowcount > 0


def set_current_session(conn: Conn, user_id: int, session_id: str | None) -> None:
    conn.execute("UPDATE scanners SET current_session_id = ? WHERE user_id = ?", (session_id, user_id))
