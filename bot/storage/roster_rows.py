"""What a door scanner's phone keeps to judge scans while offline: every attendee at one session.

One statement, run once a minute per open scanner page (`bot.services.roster`): for each
attendee, the badge version, registered / targeted for the session, and whether their last
accepted record there is a check-in (and when).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from bot.domain.times import from_db
from bot.storage.sql import Conn, fetch_all


class RosterRow(NamedTuple):
    attendee_id: str
    name: str
    badge_version: int
    registered: bool
    targeted: bool
    inside_since: datetime | None  # the time of their accepted check-in, while it is their last record


def roster_rows(conn: Conn, session_id: str) -> list[RosterRow]:
    rows = fetch_all(
        conn,
        """SELECT a.attendee_id, a.name, a.badge_version,
                  EXISTS (SELECT 1 FROM registrations r WHERE r.attendee_id = a.attendee_id AND r.session_id = :s),
                  EXISTS (SELECT 1 FROM session_targets t JOIN attendee_groups g ON g.group_name = t.group_name
                          WHERE t.session_id = :s AND g.attendee_id = a.attendee_id),
                  CASE WHEN l.direction = 'IN' THEN l.at END
           FROM attendees a
           LEFT JOIN presence p ON p.attendee_id = a.attendee_id AND p.session_id = :s
           LEFT JOIN attendance_log l ON l.id = p.last_log_id
           ORDER BY a.attendee_id""",
        {"s": session_id},
    )
    return [RosterRow(r[0], r[1], r[2], bool(r[3]), bool(r[4]), from_db(r[5]) if r[5] else None) for r in rows]
