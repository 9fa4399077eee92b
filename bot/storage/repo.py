"""Queries. Plain synchronous functions on a `sqlite3.Connection`: they run
inside `Database.run()`, in the database thread, as one transaction per use
case; none commits by itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.times import from_db, to_db

Conn = sqlite3.Connection


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class AttendeeRow:
    attendee_id: str
    name: str
    email: str
    telegram_hint: str | None
    telegram_user_id: int | None
    invite_token: str
    badge_version: int
    walk_in: bool


@dataclass(frozen=True)
class SessionRow:
    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    capacity: int | None
    access_control: bool


@dataclass(frozen=True)
class LogEntry:
    at: datetime
    direction: str
    method: str
    accepted: bool
    reason: str
    attendee_id: str | None = None
    session_id: str | None = None
    override: bool = False
    registered: bool | None = None
    targeted: bool | None = None
    actor_user_id: int | None = None
    scanner_user_id: int | None = None
    ref_id: int | None = None
    update_id: int | None = None
    item: int = 0
    detail: str = ""


@dataclass(frozen=True)
class LogRow(LogEntry):
    id: int = 0


def _attendee(row) -> AttendeeRow | None:
    if row is None:
        return None
    return AttendeeRow(
        row["attendee_id"],
        row["name"],
        row["email"],
        row["telegram_hint"],
        row["telegram_user_id"],
        row["invite_token"],
        row["badge_version"],
        bool(row["walk_in"]),
    )


def _session(row) -> SessionRow | None:
    if row is None:
        return None
    return SessionRow(
        row["session_id"],
        row["title"],
        from_db(row["starts_at"]),
        from_db(row["ends_at"]),
        row["room"],
        row["capacity"],
        bool(row["access_control"]),
    )


def _log(row) -> LogRow:
    return LogRow(
        id=row["id"],
        at=from_db(row["at"]),
        direction=row["direction"],
        method=row["method"],
        accepted=bool(row["accepted"]),
        reason=row["reason"],
        attendee_id=row["attendee_id"],
        session_id=row["session_id"],
        override=bool(row["override"]),
        registered=None if row["registered"] is None else bool(row["registered"]),
        targeted=None if row["targeted"] is None else bool(row["targeted"]),
        actor_user_id=row["actor_user_id"],
        scanner_user_id=row["scanner_user_id"],
        ref_id=row["ref_id"],
        update_id=row["update_id"],
        item=row["item"],
        detail=row["detail"],
    )


def _one(conn: Conn, sql: str, params: Sequence = ()):
    return conn.execute(sql, params).fetchone()


def _all(conn: Conn, sql: str, params: Sequence = ()) -> list:
    return conn.execute(sql, params).fetchall()


# ---------------------------------------------------------------- settings


def get_setting(conn: Conn, key: str) -> str | None:
    row = _one(conn, "SELECT value FROM settings WHERE key = ?", (key,))
    return None if row is None else row[0]


def set_setting(conn: Conn, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


# ---------------------------------------------------------------- telegram users


def touch_telegram_user(
    conn: Conn, user_id: int, username: str | None, first_name: str, last_name: str, now: datetime
) -> None:
    conn.execute(
        """INSERT INTO telegram_users (user_id, username, first_name, last_name, seen_at)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, first_name = excluded.first_name,
               last_name = excluded.last_name, seen_at = excluded.seen_at""",
        (user_id, (username or "").lower() or None, first_name, last_name, to_db(now)),
    )


def user_id_for_username(conn: Conn, username: str) -> int | None:
    row = _one(conn, "SELECT user_id FROM telegram_users WHERE username = ? ORDER BY seen_at DESC", (username.lower(),))
    return None if row is None else row[0]


def telegram_user_label(conn: Conn, user_id: int) -> str:
    row = _one(conn, "SELECT username, first_name, last_name FROM telegram_users WHERE user_id = ?", (user_id,))
    if row is None:
        return str(user_id)
    # Name first: a label starting with '@' would be escaped in spreadsheets.
    name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or str(user_id)
    return f"{name} (@{row['username']})" if row["username"] else name


# ---------------------------------------------------------------- attendees


def get_attendee(conn: Conn, attendee_id: str) -> AttendeeRow | None:
    return _attendee(_one(conn, "SELECT * FROM attendees WHERE attendee_id = ?", (attendee_id,)))


def attendee_for_user(conn: Conn, user_id: int) -> AttendeeRow | None:
    return _attendee(_one(conn, "SELECT * FROM attendees WHERE telegram_user_id = ?", (user_id,)))


def attendee_for_invite(conn: Conn, token: str) -> AttendeeRow | None:
    return _attendee(_one(conn, "SELECT * FROM attendees WHERE invite_token = ?", (token,)))


def unlinked_attendee_for_hint(conn: Conn, user_id: int, username: str | None) -> AttendeeRow | None:
    hints = [str(user_id)] + ([username.lower()] if username else [])
    marks = ",".join("?" * len(hints))
    return _attendee(
        _one(
            conn,
            f"SELECT * FROM attendees WHERE telegram_user_id IS NULL AND telegram_hint IN ({marks}) "
            "ORDER BY telegram_hint = ? DESC, attendee_id LIMIT 1",
            (*hints, str(user_id)),
        )
    )


def find_attendees(conn: Conn, query: str, limit: int = 10) -> list[AttendeeRow]:
    """By id, @handle (imported or Telegram), or part of the name."""
    q = query.strip()
    exact = get_attendee(conn, q)
    if exact:
        return [exact]
    if q.startswith("@"):
        handle = q[1:].lower()
        rows = _all(
            conn,
            """SELECT a.* FROM attendees a LEFT JOIN telegram_users u ON u.user_id = a.telegram_user_id
               WHERE a.telegram_hint = ? OR u.username = ? ORDER BY a.attendee_id LIMIT ?""",
            (handle, handle, limit),
        )
    else:
        rows = _all(
            conn,
            "SELECT * FROM attendees WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
            ("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", limit),
        )
    return [_attendee(r) for r in rows]


def all_attendees(conn: Conn) -> list[AttendeeRow]:
    return [_attendee(r) for r in _all(conn, "SELECT * FROM attendees ORDER BY attendee_id")]


def upsert_attendee(
    conn: Conn, attendee_id: str, name: str, email: str, hint: str | None, invite_token: str, now: datetime
) -> None:
    """Insert or update by id; an existing invite token and Telegram link are kept."""
    conn.execute(
        """INSERT INTO attendees (attendee_id, name, email, telegram_hint, invite_token, created_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (attendee_id) DO UPDATE SET name = excluded.name, email = excluded.email,
               telegram_hint = excluded.telegram_hint, walk_in = 0""",
        (attendee_id, name, email, hint, invite_token, to_db(now)),
    )


def create_walk_in(
    conn: Conn, attendee_id: str, name: str, user_id: int, invite_token: str, now: datetime
) -> AttendeeRow:
    return _attendee(
        _one(
            conn,
            """INSERT INTO attendees (attendee_id, name, telegram_user_id, invite_token, walk_in, created_at)
           VALUES (?, ?, ?, ?, 1, ?) RETURNING *""",
            (attendee_id, name, user_id, invite_token, to_db(now)),
        )
    )


def link_user(conn: Conn, attendee_id: str, user_id: int) -> None:
    """Link a Telegram account, moving it off any other attendee first."""
    conn.execute("UPDATE attendees SET telegram_user_id = NULL WHERE telegram_user_id = ?", (user_id,))
    conn.execute("UPDATE attendees SET telegram_user_id = ? WHERE attendee_id = ?", (user_id, attendee_id))


def unlink_attendee(conn: Conn, attendee_id: str) -> None:
    conn.execute("UPDATE attendees SET telegram_user_id = NULL WHERE attendee_id = ?", (attendee_id,))


def bump_badge_version(conn: Conn, attendee_id: str) -> int:
    conn.execute("UPDATE attendees SET badge_version = badge_version + 1 WHERE attendee_id = ?", (attendee_id,))
    row = _one(conn, "SELECT badge_version FROM attendees WHERE attendee_id = ?", (attendee_id,))
    return row[0]


def set_groups(conn: Conn, attendee_id: str, groups: Iterable[str]) -> None:
    conn.execute("DELETE FROM attendee_groups WHERE attendee_id = ?", (attendee_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO attendee_groups (attendee_id, group_name) VALUES (?, ?)",
        [(attendee_id, g) for g in groups],
    )


def attendee_groups(conn: Conn, attendee_id: str) -> list[str]:
    rows = _all(
        conn, "SELECT group_name FROM attendee_groups WHERE attendee_id = ? ORDER BY group_name", (attendee_id,)
    )
    return [r[0] for r in rows]


# ---------------------------------------------------------------- sessions


def get_session(conn: Conn, session_id: str) -> SessionRow | None:
    return _session(_one(conn, "SELECT * FROM sessions WHERE session_id = ?", (session_id,)))


def all_sessions(conn: Conn) -> list[SessionRow]:
    return [_session(r) for r in _all(conn, "SELECT * FROM sessions ORDER BY starts_at, session_id")]


def existing_ids(conn: Conn, table: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` exist already, in their stored spelling (upper-cased for comparison)."""
    column = {"sessions": "session_id", "attendees": "attendee_id"}[table]
    found: set[str] = set()
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = _all(conn, f"SELECT {column} FROM {table} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk)
        found.update(r[0].upper() for r in rows)
    return found


def upsert_session(conn: Conn, s: SessionRow, *, set_capacity: bool, set_access: bool) -> None:
    conn.execute(
        f"""INSERT INTO sessions (session_id, title, starts_at, ends_at, room, capacity, access_control)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (session_id) DO UPDATE SET title = excluded.title, starts_at = excluded.starts_at,
                ends_at = excluded.ends_at, room = excluded.room
                {", capacity = excluded.capacity" if set_capacity else ""}
                {", access_control = excluded.access_control" if set_access else ""}""",
        (s.session_id, s.title, to_db(s.starts_at), to_db(s.ends_at), s.room, s.capacity, int(s.access_control)),
    )


def set_targets(conn: Conn, session_id: str, groups: Iterable[str]) -> None:
    conn.execute("DELETE FROM session_targets WHERE session_id = ?", (session_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO session_targets (session_id, group_name) VALUES (?, ?)",
        [(session_id, g) for g in groups],
    )


def session_targets(conn: Conn, session_id: str) -> list[str]:
    rows = _all(conn, "SELECT group_name FROM session_targets WHERE session_id = ? ORDER BY group_name", (session_id,))
    return [r[0] for r in rows]


def set_capacity(conn: Conn, session_id: str, capacity: int | None) -> None:
    conn.execute("UPDATE sessions SET capacity = ? WHERE session_id = ?", (capacity, session_id))


def set_access_control(conn: Conn, session_id: str, on: bool) -> None:
    conn.execute("UPDATE sessions SET access_control = ? WHERE session_id = ?", (int(on), session_id))


# ---------------------------------------------------------------- PINs


def pin_lookup(conn: Conn, pin: str) -> tuple[str, str] | None:
    """(session_id, direction) of a PIN."""
    row = _one(conn, "SELECT session_id, direction FROM pins WHERE pin = ?", (pin,))
    return None if row is None else (row[0], row[1])


def session_for_pin(conn: Conn, pin: str) -> tuple[SessionRow, str] | None:
    """The session a PIN belongs to, and whether it is its IN or OUT PIN (one statement: every check-in asks)."""
    row = _one(
        conn,
        "SELECT s.*, p.direction FROM pins p JOIN sessions s ON s.session_id = p.session_id WHERE p.pin = ?",
        (pin,),
    )
    return None if row is None else (_session(row), row["direction"])


def all_pins(conn: Conn) -> dict[str, dict[str, str]]:
    """session_id -> {'IN': pin, 'OUT': pin}."""
    result: dict[str, dict[str, str]] = {}
    for row in _all(conn, "SELECT pin, session_id, direction FROM pins"):
        result.setdefault(row["session_id"].upper(), {})[row["direction"]] = row["pin"]
    return result


def replace_pin(conn: Conn, session_id: str, direction: str, pin: str) -> None:
    conn.execute("DELETE FROM pins WHERE session_id = ? AND direction = ?", (session_id, direction))
    conn.execute("INSERT INTO pins (pin, session_id, direction) VALUES (?, ?, ?)", (pin, session_id, direction))


def delete_pins(conn: Conn, session_ids: Iterable[str]) -> None:
    conn.executemany("DELETE FROM pins WHERE session_id = ?", [(s,) for s in session_ids])


# ---------------------------------------------------------------- registrations and targets


def add_registration(conn: Conn, attendee_id: str, session_id: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO registrations (attendee_id, session_id) VALUES (?, ?)", (attendee_id, session_id)
    )


@dataclass(frozen=True)
class AttendanceFacts:
    """What the rule engine needs to know about one attendee at one session."""

    registered: bool
    targeted: bool
    last_direction: str | None
    last_at: datetime | None
    others_inside: int
    acl_mode: str | None


def attendance_facts(conn: Conn, attendee_id: str, session_id: str) -> AttendanceFacts:
    """One statement instead of five: this runs for every check-in of a rush."""
    row = _one(
        conn,
        """SELECT
               EXISTS (SELECT 1 FROM registrations WHERE attendee_id = :a AND session_id = :s),
               EXISTS (SELECT 1 FROM session_targets t JOIN attendee_groups g ON g.group_name = t.group_name
                       WHERE t.session_id = :s AND g.attendee_id = :a),
               (SELECT l.direction FROM presence p JOIN attendance_log l ON l.id = p.last_log_id
                WHERE p.attendee_id = :a AND p.session_id = :s),
               (SELECT l.at FROM presence p JOIN attendance_log l ON l.id = p.last_log_id
                WHERE p.attendee_id = :a AND p.session_id = :s),
               (SELECT COUNT(*) FROM presence WHERE session_id = :s AND inside = 1)
                 - (SELECT COUNT(*) FROM presence WHERE session_id = :s AND attendee_id = :a AND inside = 1),
               (SELECT value FROM settings WHERE key = 'acl_mode')""",
        {"a": attendee_id, "s": session_id},
    )
    return AttendanceFacts(bool(row[0]), bool(row[1]), row[2], from_db(row[3]) if row[3] else None, row[4], row[5])


def registered_sessions(conn: Conn, attendee_id: str) -> list[SessionRow]:
    rows = _all(
        conn,
        """SELECT s.* FROM sessions s JOIN registrations r ON r.session_id = s.session_id
                               WHERE r.attendee_id = ? ORDER BY s.starts_at, s.session_id""",
        (attendee_id,),
    )
    return [_session(r) for r in rows]


# ---------------------------------------------------------------- attendance log and presence


def insert_log(conn: Conn, e: LogEntry) -> int:
    cur = conn.execute(
        """INSERT INTO attendance_log (at, attendee_id, session_id, direction, method, accepted, reason, override,
               registered, targeted, actor_user_id, scanner_user_id, ref_id, update_id, item, detail)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            to_db(e.at),
            e.attendee_id,
            e.session_id,
            e.direction,
            e.method,
            int(e.accepted),
            e.reason,
            int(e.override),
            None if e.registered is None else int(e.registered),
            None if e.targeted is None else int(e.targeted),
            e.actor_user_id,
            e.scanner_user_id,
            e.ref_id,
            e.update_id,
            e.item,
            e.detail,
        ),
    )
    return cur.lastrowid


def log_rows_for_update(conn: Conn, update_id: int) -> list[LogRow]:
    return [_log(r) for r in _all(conn, "SELECT * FROM attendance_log WHERE update_id = ? ORDER BY item", (update_id,))]


def get_log_row(conn: Conn, log_id: int) -> LogRow | None:
    row = _one(conn, "SELECT * FROM attendance_log WHERE id = ?", (log_id,))
    return None if row is None else _log(row)


def is_referenced(conn: Conn, log_id: int) -> bool:
    return _one(conn, "SELECT 1 FROM attendance_log WHERE ref_id = ?", (log_id,)) is not None


def wrong_pin_times(conn: Conn, user_id: int, since: datetime) -> list[datetime]:
    rows = _all(
        conn,
        """SELECT at FROM attendance_log
                               WHERE actor_user_id = ? AND reason = 'unknown_pin' AND at > ?""",
        (user_id, to_db(since)),
    )
    return [from_db(r[0]) for r in rows]


def people_inside(conn: Conn, session_id: str) -> int:
    return _one(conn, "SELECT COUNT(*) FROM presence WHERE session_id = ? AND inside = 1", (session_id,))[0]


def set_presence(conn: Conn, attendee_id: str, session_id: str, direction: str, log_id: int) -> None:
    conn.execute(
        """INSERT INTO presence (attendee_id, session_id, inside, last_log_id) VALUES (?, ?, ?, ?)
           ON CONFLICT (attendee_id, session_id) DO UPDATE SET inside = excluded.inside,
               last_log_id = excluded.last_log_id""",
        (attendee_id, session_id, int(direction == "IN"), log_id),
    )


def recompute_presence(conn: Conn, attendee_id: str, session_id: str) -> None:
    """Rebuild one person's presence from the log (after an undo)."""
    row = _one(
        conn,
        """SELECT id, direction FROM attendance_log l
           WHERE attendee_id = ? AND session_id = ? AND accepted = 1 AND direction IN ('IN', 'OUT')
             AND NOT EXISTS (SELECT 1 FROM attendance_log u WHERE u.ref_id = l.id AND u.direction = 'UNDO')
           ORDER BY id DESC LIMIT 1""",
        (attendee_id, session_id),
    )
    if row is None:
        conn.execute("DELETE FROM presence WHERE attendee_id = ? AND session_id = ?", (attendee_id, session_id))
    else:
        set_presence(conn, attendee_id, session_id, row["direction"], row["id"])


def attendee_history(conn: Conn, attendee_id: str) -> list[tuple[LogRow, SessionRow]]:
    """Accepted, not undone, check-ins and check-outs, newest first."""
    rows = _all(
        conn,
        """SELECT l.*, s.title, s.starts_at, s.ends_at, s.room, s.capacity, s.access_control
           FROM attendance_log l JOIN sessions s ON s.session_id = l.session_id
           WHERE l.attendee_id = ? AND l.accepted = 1 AND l.direction IN ('IN', 'OUT')
             AND NOT EXISTS (SELECT 1 FROM attendance_log u WHERE u.ref_id = l.id AND u.direction = 'UNDO')
           ORDER BY l.id DESC""",
        (attendee_id,),
    )
    return [(_log(r), _session(r)) for r in rows]


# ---------------------------------------------------------------- durable update inbox


def store_updates(conn: Conn, updates: Iterable[tuple[int, str]], now: datetime) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO updates (update_id, payload, received_at) VALUES (?, ?, ?)",
        [(uid, payload, to_db(now)) for uid, payload in updates],
    )


def pending_updates(conn: Conn) -> list[tuple[int, str]]:
    rows = _all(conn, "SELECT update_id, payload FROM updates WHERE done_at IS NULL ORDER BY update_id")
    return [(r[0], r[1]) for r in rows]


def mark_updates_done(conn: Conn, update_ids: list[int], now: datetime) -> None:
    conn.executemany("UPDATE updates SET done_at = ? WHERE update_id = ?", [(to_db(now), u) for u in update_ids])


def unfinished_among(conn: Conn, update_ids: list[int]) -> set[int]:
    marks = ",".join("?" * len(update_ids))
    rows = _all(conn, f"SELECT update_id FROM updates WHERE done_at IS NULL AND update_id IN ({marks})", update_ids)
    return {r[0] for r in rows}


# ---------------------------------------------------------------- confirmations


def create_confirmation(conn: Conn, token: str, user_id: int, action: str, now: datetime) -> None:
    conn.execute(
        "INSERT INTO confirmations (token, user_id, action, created_at) VALUES (?, ?, ?, ?)",
        (token, user_id, action, to_db(now)),
    )


def use_confirmation(conn: Conn, token: str, user_id: int, action: str, now: datetime, not_before: datetime) -> bool:
    """Consume a pending confirmation; False if unknown, someone else's, used or stale."""
    cur = conn.execute(
        """UPDATE confirmations SET used_at = ? WHERE token = ? AND user_id = ? AND action = ?
           AND used_at IS NULL AND created_at >= ?""",
        (to_db(now), token, user_id, action, to_db(not_before)),
    )
    return cur.rowcount == 1


def confirmation_action(conn: Conn, token: str) -> str | None:
    row = _one(conn, "SELECT action FROM confirmations WHERE token = ?", (token,))
    return None if row is None else row[0]
