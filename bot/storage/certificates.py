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


# ---------------------------------------------------------------- what certificates are made from

# Settings that change what attendance earns (bot.services.credits, bot.services.attendance_time)
# or whether certificates are out at all.
_INPUT_SETTINGS = ("credit_rule", "one_room_at_a_time", "certificates_released_at")


def inputs_digest(conn: Conn) -> str:
    """A digest of what a certificate is made from except the attendance log and the clock: the
    sessions (titles, times, credits, rules), the settings that change what attendance earns, and
    the attendees' names. Each table is read as one string (`group_concat`), a few milliseconds for
    thousands of attendees."""
    digest = hashlib.sha256()
    for query, params in (
        (
            "SELECT group_concat(session_id || char(31) || title || char(31) || starts_at || char(31) || ends_at"
            " || char(31) || credits || char(31) || ifnull(credit_rule, ''), char(30))"
            " FROM (SELECT * FROM sessions ORDER BY session_id)",
            (),
        ),
        (
            "SELECT group_concat(key || char(31) || value, char(30)) FROM (SELECT key, value FROM settings "
            f"WHERE key IN ({', '.join('?' * len(_INPUT_SETTINGS))}) ORDER BY key)",
            _INPUT_SETTINGS,
        ),
        (
            "SELECT group_concat(attendee_id || char(31) || name, char(30))"
            " FROM (SELECT attendee_id, name FROM attendees ORDER BY rowid)",  # table order: no sort
            (),
        ),
    ):
        value = fetch_one(conn, query, params)[0]
        digest.update((value or "").encode() + b"\x1d")
    return digest.hexdigest()


def ended_sessions(conn: Conn, now: datetime) -> list[str]:
    """Sessions carrying credits that have ended by `now`."""
    sql = "SELECT session_id FROM sessions WHERE credits > 0 AND ends_at <= ? ORDER BY session_id"
    return [r[0] for r in fetch_all(conn, sql, (to_db(now),))]


def people_of_sessions(conn: Conn, session_ids: list[str]) -> list[str]:
    """Attendees registered for any of the sessions or recorded at one."""
    if not session_ids:
        return []
    marks = ", ".join("?" * len(session_ids))
    rows = fetch_all(
        conn,
        f"""SELECT attendee_id FROM registrations WHERE session_id IN ({marks})
            UNION SELECT attendee_id FROM attendance_log WHERE session_id IN ({marks}) AND attendee_id IS NOT NULL""",
        (*session_ids, *session_ids),
    )
    return sorted({r[0].upper() for r in rows})


def everyone_to_check(conn: Conn) -> list[str]:
    """Every attendee (whose certificate a whole pass compares with their credits)."""
    return [r[0] for r in fetch_all(conn, "SELECT attendee_id FROM attendees ORDER BY attendee_id")]


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
