"""Who an announcement reaches, and who asked for none (/mute).

An audience is one SQL condition on `attendees` (alias `a`): only attendees with a linked
Telegram account can be reached, and muted people are counted apart, never queued.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.times import to_db
from bot.storage.sql import Conn, fetch_all, fetch_one

# People inside the session now: the same `presence` rows as the live counts' "inside now".
_INSIDE = "a.attendee_id IN (SELECT p.attendee_id FROM presence p WHERE p.session_id = :session AND p.inside = 1)"
# Registered for the session, or (when access control admits targeted groups: acl include) in one of its groups.
_REGISTERED = """(a.attendee_id IN (SELECT r.attendee_id FROM registrations r WHERE r.session_id = :session)
    OR (:include AND a.attendee_id IN (SELECT g.attendee_id FROM session_targets t
        JOIN attendee_groups g ON g.group_name = t.group_name WHERE t.session_id = :session)))"""
AUDIENCES = {
    "inside": _INSIDE,
    "registered": _REGISTERED,
    "all": f"({_INSIDE} OR {_REGISTERED})",
    "everyone": "1",
}


def recipients(conn: Conn, audience: str, session_id: str | None, include_targets: bool) -> list[tuple[int, bool]]:
    """(Telegram user id, muted) of every linked attendee in the audience, in attendee order."""
    rows = fetch_all(
        conn,
        f"""SELECT a.telegram_user_id, m.user_id IS NOT NULL FROM attendees a
            LEFT JOIN muted m ON m.user_id = a.telegram_user_id
            WHERE a.telegram_user_id IS NOT NULL AND {AUDIENCES[audience]}
            ORDER BY a.attendee_id""",
        {"session": session_id, "include": int(include_targets)},
    )
    return [(r[0], bool(r[1])) for r in rows]


def is_muted(conn: Conn, user_id: int) -> bool:
    return fetch_one(conn, "SELECT 1 FROM muted WHERE user_id = ?", (user_id,)) is not None


def mute(conn: Conn, user_id: int, now: datetime) -> bool:
    """True if the person was not muted before."""
    cur = conn.execute("INSERT OR IGNORE INTO muted (user_id, muted_at) VALUES (?, ?)", (user_id, to_db(now)))
    return cur.rowcount == 1


def unmute(conn: Conn, user_id: int) -> bool:
    """True if the person was muted before."""
    return conn.execute("DELETE FROM muted WHERE user_id = ?", (user_id,)).rowcount == 1
