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


def get_scanner(conn: Conn, user_id: int) -> ScannerRow | None:
    row = _one(conn, "SELECT * FROM scanners WHERE user_id = ?", (user_id,))
    if row is None:
        return None
    sessions = _all(conn, "SELECT session_id FROM scanner_sessions WHERE user_id = ? ORDER BY session_id", (user_id,))
    return ScannerRow(
        row["user_id"], bool(row["all_sessions"]), row["current_session_id"], tuple(r[0] for r in sessions)
    )


def scanner_ids(conn: Conn) -> list[int]:
    return [r[0] for r in _all(conn, "SELECT user_id FROM scanners ORDER BY user_id")]


def all_scanners(conn: Conn) -> list[ScannerRow]:
    return [get_scanner(conn, uid) for uid in scanner_ids(conn)]


def assign(conn: Conn, user_id: int, all_sessions: bool, session_ids: list[str], now: str) -> None:
    conn.execute(
        """INSERT INTO scanners (user_id, all_sessions, assigned_at) VALUES (?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET all_sessions = excluded.all_sessions""",
        (user_id, int(all_sessions), now),
    )
    conn.execute("DELETE FROM scanner_sessions WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO scanner_sessions (user_id, session_id) VALUES (?, ?)", [(user_id, s) for s in session_ids]
    )


def remove(conn: Conn, user_id: int) -> bool:
    cur = conn.execute("DELETE FROM scanners WHERE user_id = ?", (user_id,))
    return cur.rowcount > 0


def may_scan(conn: Conn, user_id: int, session_id: str) -> bool:
    row = _one(
        conn,
        """SELECT 1 FROM scanners s WHERE s.user_id = ? AND (s.all_sessions = 1 OR EXISTS (
               SELECT 1 FROM scanner_sessions x WHERE x.user_id = s.user_id AND x.session_id = ?))""",
        (user_id, session_id),
    )
    return row is not None


def set_current_session(conn: Conn, user_id: int, session_id: str | None) -> None:
    conn.execute("UPDATE scanners SET current_session_id = ? WHERE user_id = ?", (session_id, user_id))
