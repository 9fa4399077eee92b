"""Certificates of attendance (migration 011): issued, superseded, revoked; their PDFs."""

from __future__ import annotations

import hashlib
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
        f"SELECT {_COLUMNS} FROM certificates WHERE attendee_id = ? ORDER BY issued_at DESC, rowid DESC LIMIT 1",
        (attendee_id,),
    )
    return None if r is None else _row(r)


def valid_hashes(conn: Conn) -> dict[str, str]:
    """Attendee id (upper case) -> the content hash of their valid certificate."""
    return {
        r[0].upper(): r[1]
        for r in fetch_all(conn, "SELECT attendee_id, content_hash FROM certificates WHERE state = 'valid'")
    }


def revoked_last(conn: Conn) -> set[str]:
    """Attendee ids (upper case) whose latest certificate is revoked."""
    rows = fetch_all(
        conn,
        """SELECT attendee_id, state FROM certificates c
           WHERE rowid = (SELECT rowid FROM certificates l WHERE l.attendee_id = c.attendee_id
                          ORDER BY issued_at DESC, rowid DESC LIMIT 1)""",
    )
    return {r[0].upper() for r in rows if r[1] == "revoked"}


# ---------------------------------------------------------------- what certificates are made from

# Settings that change what attendance earns (bot.services.credits, bot.services.attendance_time)
# or whether certificates are out at all.
_INPUT_SETTINGS = ("credit_rule", "one_room_at_a_time", "certificates_released_at")


def inputs_digest(conn: Conn, now: datetime) -> str:
    """A digest of everything a certificate is made from except the attendance log: the sessions
    (titles, times, credits, rules, and which have ended by `now`), the settings that change what
    attendance earns, and the attendees' names."""
    digest = hashlib.sha256()
    for query, params in (
        (
            "SELECT session_id, title, starts_at, ends_at, credits, credit_rule, ends_at <= ? FROM sessions "
            "ORDER BY session_id",
            (to_db(now),),
        ),
        (f"SELECT key, value FROM settings WHERE key IN ({', '.join('?' * len(_INPUT_SETTINGS))})", _INPUT_SETTINGS),
        ("SELECT attendee_id, name FROM attendees ORDER BY attendee_id", ()),
    ):
        for row in conn.execute(query, params):
            digest.update(repr(tuple(row)).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def last_log_id(conn: Conn) -> int:
    r = fetch_one(conn, "SELECT max(id) FROM attendance_log")
    return 0 if r is None or r[0] is None else int(r[0])


def people_logged_since(conn: Conn, log_id: int) -> list[str]:
    """Attendees named by attendance rows after `log_id`, or by the rows those undo or override."""
    rows = fetch_all(
        conn,
        """SELECT attendee_id FROM attendance_log WHERE id > ? AND attendee_id IS NOT NULL
           UNION
           SELECT l.attendee_id FROM attendance_log n JOIN attendance_log l ON l.id = n.ref_id
           WHERE n.id > ? AND l.attendee_id IS NOT NULL""",
        (log_id, log_id),
    )
    return sorted({r[0].upper() for r in rows})


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
