"""Attendees and the Telegram accounts that write to the bot."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.times import to_db
from bot.storage.records import AttendeeRow, attendee_record
from bot.storage.sql import Conn, fetch_all, fetch_one


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
    row = fetch_one(
        conn, "SELECT user_id FROM telegram_users WHERE username = ? ORDER BY seen_at DESC", (username.lower(),)
    )
    return None if row is None else row[0]


def telegram_user_label(conn: Conn, user_id: int) -> str:
    """How to name a Telegram account: their profile name (and @username) once they have written
    to the bot, else the attendee an import names by this numeric id, else the bare id."""
    row = fetch_one(conn, "SELECT username, first_name, last_name FROM telegram_users WHERE user_id = ?", (user_id,))
    if row is None:
        attendee = fetch_one(
            conn,
            "SELECT attendee_id, name FROM attendees WHERE telegram_user_id = ? OR telegram_hint = ? "
            "ORDER BY telegram_user_id IS NULL LIMIT 1",
            (user_id, str(user_id)),
        )
        return f"{attendee['name']} ({attendee['attendee_id']})" if attendee else str(user_id)
    # Name first: a label starting with '@' would be escaped in spreadsheets.
    name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or str(user_id)
    return f"{name} (@{row['username']})" if row["username"] else name


# ---------------------------------------------------------------- attendees


def get_attendee(conn: Conn, attendee_id: str) -> AttendeeRow | None:
    return attendee_record(fetch_one(conn, "SELECT * FROM attendees WHERE attendee_id = ?", (attendee_id,)))


def attendee_for_user(conn: Conn, user_id: int) -> AttendeeRow | None:
    return attendee_record(fetch_one(conn, "SELECT * FROM attendees WHERE telegram_user_id = ?", (user_id,)))


def attendee_for_invite(conn: Conn, token: str) -> AttendeeRow | None:
    return attendee_record(fetch_one(conn, "SELECT * FROM attendees WHERE invite_token = ?", (token,)))


def unlinked_attendee_for_hint(conn: Conn, user_id: int, username: str | None) -> AttendeeRow | None:
    hints = [str(user_id)] + ([username.lower()] if username else [])
    marks = ",".join("?" * len(hints))
    return attendee_record(
        fetch_one(
            conn,
            f"SELECT * FROM attendees WHERE telegram_user_id IS NULL AND telegram_hint IN ({marks}) "
            "ORDER BY telegram_hint = ? DESC, attendee_id LIMIT 1",
            (*hints, str(user_id)),
        )
    )


def find_attendees(conn: Conn, query: str, limit: int = 10) -> list[AttendeeRow]:
    """By id, @handle (imported or Telegram), or part of the name; `limit` -1 for all of them."""
    q = query.strip()
    exact = get_attendee(conn, q)
    if exact:
        return [exact]
    if q.startswith("@"):
        handle = q[1:].lower()
        rows = fetch_all(
            conn,
            """SELECT a.* FROM attendees a LEFT JOIN telegram_users u ON u.user_id = a.telegram_user_id
               WHERE a.telegram_hint = ? OR u.username = ? ORDER BY a.attendee_id LIMIT ?""",
            (handle, handle, limit),
        )
    elif q.isascii():
        rows = fetch_all(
            conn,
            "SELECT * FROM attendees WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
            ("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", limit),
        )
    else:
        # SQLite's LIKE folds the case of ASCII letters only: "петров" would miss "Петрович".
        wanted = q.casefold()
        rows = [r for r in fetch_all(conn, "SELECT * FROM attendees ORDER BY name") if wanted in r["name"].casefold()]
        rows = rows if limit < 0 else rows[:limit]
    return [attendee_record(r) for r in rows]


def all_attendees(conn: Conn) -> list[AttendeeRow]:
    return [attendee_record(r) for r in fetch_all(conn, "SELECT * FROM attendees ORDER BY attendee_id")]


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
    return attendee_record(
        fetch_one(
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
    row = fetch_one(conn, "SELECT badge_version FROM attendees WHERE attendee_id = ?", (attendee_id,))
    return row[0]


def set_groups(conn: Conn, attendee_id: str, groups: Iterable[str]) -> None:
    conn.execute("DELETE FROM attendee_groups WHERE attendee_id = ?", (attendee_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO attendee_groups (attendee_id, group_name) VALUES (?, ?)",
        [(attendee_id, g) for g in groups],
    )


def groups_by_attendee(conn: Conn) -> dict[str, list[str]]:
    """Every attendee's groups, in one statement (for lists of many attendees)."""
    groups: dict[str, list[str]] = {}
    for row in fetch_all(conn, "SELECT attendee_id, group_name FROM attendee_groups ORDER BY attendee_id, group_name"):
        groups.setdefault(row[0], []).append(row[1])
    return groups


def attendee_groups(conn: Conn, attendee_id: str) -> list[str]:
    rows = fetch_all(
        conn, "SELECT group_name FROM attendee_groups WHERE attendee_id = ? ORDER BY group_name", (attendee_id,)
    )
    return [r[0] for r in rows]
