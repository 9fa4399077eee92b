"""Queries about onsite shortlinks."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.sql import Conn, fetch_all, fetch_one


@dataclass(frozen=True)
class ShortlinkRow:
    code: str
    session_id: str
    reference: str
    popup: str


def _row(r) -> ShortlinkRow:
    return ShortlinkRow(r["code"], r["session_id"], r["reference"], r["popup"])


def get(conn: Conn, code: str) -> ShortlinkRow | None:
    r = fetch_one(conn, "SELECT * FROM shortlinks WHERE code = ?", (code,))
    return None if r is None else _row(r)


def all_shortlinks(conn: Conn) -> list[ShortlinkRow]:
    return [_row(r) for r in fetch_all(conn, "SELECT * FROM shortlinks ORDER BY code")]


def upsert(conn: Conn, s: ShortlinkRow) -> None:
    conn.execute(
        """INSERT INTO shortlinks (code, session_id, reference, popup) VALUES (?, ?, ?, ?)
           ON CONFLICT (code) DO UPDATE SET session_id = excluded.session_id, reference = excluded.reference,
               popup = excluded.popup""",
        (s.code, s.session_id, s.reference, s.popup),
    )


def delete(conn: Conn, code: str) -> bool:
    cur = conn.execute("DELETE FROM shortlinks WHERE code = ?", (code,))
    return cur.rowcount > 0


def first_for_session(conn: Conn, session_id: str) -> ShortlinkRow | None:
    r = fetch_one(conn, "SELECT * FROM shortlinks WHERE session_id = ? ORDER BY code LIMIT 1", (session_id,))
    return None if r is None else _row(r)
