"""Certificates of attendance (migration 011): issued, superseded, revoked; their PDFs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.times import from_db, to_db
from bot.storage.sql import Conn, fetch_all, fetch_one

_COLUMNS = "number, attendee_id, issued_at, content_hash, summary, state, superseded_by, changed_at, language"


@dataclass(frozen=True)
class CertificateRow:
    number: str
    attendee_id: str
    issued_at: datetime
    content_hash: str
    summary: str
    state: str
    superseded_by: str | None
    changed_at: datetime | None
    language: str | None


def _row(r) -> CertificateRow:
    return CertificateRow(r[0], r[1], from_db(r[2]), r[3], r[4], r[5], r[6], from_db(r[7]) if r[7] else None, r[8])


def get(conn: Conn, number: str) -> CertificateRow | None:
    r = fetch_one(conn, f"SELECT {_COLUMNS} FROM certificates WHERE number = ?", (number,))
    return None if r is None else _row(r)


def valid_for(conn: Conn, attendee_id: str) -> CertificateRow | None:
    r = fetch_one(
        conn, f"SELECT {_COLUMNS} FROM certificates WHERE attendee_id = ? AND state = 'valid'", (attendee_id,)
    )
    return None if r is None else _row(r)


def all_valid(conn: Conn) -> list[CertificateRow]:
    return [
        _row(r)
        for r in fetch_all(conn, f"SELECT {_COLUMNS} FROM certificates WHERE state = 'valid' ORDER BY attendee_id")
    ]


def latest_for(conn: Conn, attendee_id: str) -> CertificateRow | None:
    r = fetch_one(
        conn,
        f"SELECT {_COLUMNS} FROM certificates WHERE attendee_id = ? ORDER BY issued_at DESC LIMIT 1",
        (attendee_id,),
    )
    return None if r is None else _row(r)


def insert(conn: Conn, number: str, attendee_id: str, now: datetime, content_hash: str, summary: str) -> None:
    conn.execute(
        "INSERT INTO certificates (number, attendee_id, issued_at, content_hash, summary) VALUES (?, ?, ?, ?, ?)",
        (number, attendee_id, to_db(now), content_hash, summary),
    )


def supersede(conn: Conn, number: str, newer: str | None, now: datetime) -> None:
    conn.execute(
        "UPDATE certificates SET state = 'superseded', superseded_by = ?, changed_at = ? WHERE number = ?",
        (newer, to_db(now), number),
    )


def revoke(conn: Conn, number: str, now: datetime) -> None:
    conn.execute("UPDATE certificates SET state = 'revoked', changed_at = ? WHERE number = ?", (to_db(now), number))


def pdf(conn: Conn, number: str) -> bytes | None:
    r = fetch_one(conn, "SELECT pdf FROM certificates WHERE number = ?", (number,))
    return None if r is None or r[0] is None else bytes(r[0])


def store_pdf(conn: Conn, number: str, language: str, content: bytes) -> None:
    conn.execute(
        "UPDATE certificates SET pdf = ?, language = ? WHERE number = ? AND pdf IS NULL", (content, language, number)
    )
