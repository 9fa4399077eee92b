"""Sessions, their PINs, targets and registrations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.times import to_db
from bot.storage.records import SessionRow, session_record
from bot.storage.sql import Conn, fetch_all, fetch_one


def get_session(conn: Conn, session_id: str) -> SessionRow | None:
    return session_record(fetch_one(conn, "SELECT * FROM sessions WHERE session_id = ?", (session_id,)))


def all_sessions(conn: Conn) -> list[SessionRow]:
    return [session_record(r) for r in fetch_all(conn, "SELECT * FROM sessions ORDER BY starts_at, session_id")]


def existing_ids(conn: Conn, table: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` exist already, in their stored spelling (upper-cased for comparison)."""
    column = {"sessions": "session_id", "attendees": "attendee_id"}[table]
    found: set[str] = set()
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = fetch_all(conn, f"SELECT {column} FROM {table} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk)
        found.update(r[0].upper() for r in rows)
    return found


def upsert_session(conn: Conn, s: SessionRow, *, kept: frozenset[str] = frozenset()) -> None:
    """Insert or update by id; an existing session keeps the values of the `kept` columns
    (capacity, access_control, checkin_opens, checkin_closes: those the file does not have)."""
    changed = [c for c in ("capacity", "access_control", "checkin_opens", "checkin_closes") if c not in kept]
    conn.execute(
        f"""INSERT INTO sessions (session_id, title, starts_at, ends_at, room, capacity, access_control,
                                  checkin_opens, checkin_closes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
                ends_at = excluded.ends_at, room = excluded.room{"".join(f", {c} = excluded.{c}" for c in changed)}""",
        (
            s.session_id,
            s.title,
            to_db(s.starts_at),
            to_db(s.ends_at),
            s.room,
            s.capacity,
            int(s.access_control),
            to_db(s.checkin_opens) if s.checkin_opens else None,
            to_db(s.checkin_closes) if s.checkin_closes else None,
        ),
    )


def shift_session_times(conn: Conn, session_id: str, moved: dict[str, datetime | None]) -> None:
    """Store new start, end and window times of a session (a change of the event's time zone)."""
    conn.execute(
        """UPDATE sessions SET starts_at = :starts_at, ends_at = :ends_at, checkin_opens = :checkin_opens,
               checkin_closes = :checkin_closes WHERE session_id = :session_id""",
        {"session_id": session_id, **{k: to_db(v) if v else None for k, v in moved.items()}},
    )


def set_targets(conn: Conn, session_id: str, groups: Iterable[str]) -> None:
    conn.execute("DELETE FROM session_targets WHERE session_id = ?", (session_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO session_targets (session_id, group_name) VALUES (?, ?)",
        [(session_id, g) for g in groups],
    )


def set_capacity(conn: Conn, session_id: str, capacity: int | None) -> None:
    conn.execute("UPDATE sessions SET capacity = ? WHERE session_id = ?", (capacity, session_id))


def set_access_control(conn: Conn, session_id: str, on: bool) -> None:
    conn.execute("UPDATE sessions SET access_control = ? WHERE session_id = ?", (int(on), session_id))


# ---------------------------------------------------------------- PINs


def pin_lookup(conn: Conn, pin: str) -> tuple[str, str] | None:
    """(session_id, direction) of a PIN."""
    row = fetch_one(conn, "SELECT session_id, direction FROM pins WHERE pin = ?", (pin,))
    return None if row is None else (row[0], row[1])


def session_for_pin(conn: Conn, pin: str) -> tuple[SessionRow, str] | None:
    """The session a PIN belongs to, and whether it is its IN or OUT PIN (one statement: every check-in asks)."""
    row = fetch_one(
        conn,
        "SELECT s.*, p.direction FROM pins p JOIN sessions s ON s.session_id = p.session_id WHERE p.pin = ?",
        (pin,),
    )
    return None if row is None else (session_record(row), row["direction"])


def all_pins(conn: Conn) -> dict[str, dict[str, str]]:
    """session_id -> {'IN': pin, 'OUT': pin}."""
    result: dict[str, dict[str, str]] = {}
    for row in fetch_all(conn, "SELECT pin, session_id, direction FROM pins"):
        result.setdefault(row["session_id"].upper(), {})[row["direction"]] = row["pin"]
    return result


def replace_pin(conn: Conn, session_id: str, direction: str, pin: str) -> None:
    conn.execute("DELETE FROM pins WHERE session_id = ? AND direction = ?", (session_id, direction))
    conn.execute("INSERT INTO pins (pin, session_id, direction) VALUES (?, ?, ?)", (pin, session_id, direction))


def delete_pins(conn: Conn, session_ids: Iterable[str]) -> None:
    conn.executemany("DELETE FROM pins WHERE session_id = ?", [(s,) for s in session_ids])


def add_registration(conn: Conn, attendee_id: str, session_id: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO registrations (attendee_id, session_id) VALUES (?, ?)", (attendee_id, session_id)
    )


def registered_sessions(conn: Conn, attendee_id: str) -> list[SessionRow]:
    rows = fetch_all(
        conn,
        """SELECT s.* FROM sessions s JOIN registrations r ON r.session_id = s.session_id
                               WHERE r.attendee_id = ? ORDER BY s.starts_at, s.session_id""",
        (attendee_id,),
    )
    return [session_record(r) for r in rows]


def rotating_sessions(conn: Conn) -> list[tuple[SessionRow, str]]:
    """Sessions whose IN PIN rotates, with their secrets (asked when a PIN matches no fixed one)."""
    rows = fetch_all(conn, "SELECT * FROM sessions WHERE pin_rotation_seconds IS NOT NULL ORDER BY session_id")
    return [(session_record(r), r["pin_secret"]) for r in rows]


def pin_secret(conn: Conn, session_id: str) -> str | None:
    row = fetch_one(conn, "SELECT pin_secret FROM sessions WHERE session_id = ?", (session_id,))
    return None if row is None else row[0]


def set_pin_rotation(conn: Conn, session_id: str, seconds: int | None, secret: str) -> None:
    conn.execute(
        "UPDATE sessions SET pin_rotation_seconds = ?, pin_secret = ? WHERE session_id = ?",
        (seconds, secret, session_id),
    )


def display_secret(conn: Conn, session_id: str) -> str | None:
    row = fetch_one(conn, "SELECT display_secret FROM sessions WHERE session_id = ?", (session_id,))
    return None if row is None else row[0]


def set_display_secret(conn: Conn, session_id: str, secret: str) -> None:
    conn.execute("UPDATE sessions SET display_secret = ? WHERE session_id = ?", (secret, session_id))


def pin_of(conn: Conn, session_id: str, direction: str) -> str | None:
    row = fetch_one(conn, "SELECT pin FROM pins WHERE session_id = ? AND direction = ?", (session_id, direction))
    return None if row is None else row[0]
