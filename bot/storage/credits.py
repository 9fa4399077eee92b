"""Sessions' credits and their own rules (migration 010), and who may earn them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.domain.times import from_db
from bot.storage.report_rows import EFFECTIVE
from bot.storage.sql import Conn, fetch_all


@dataclass(frozen=True)
class CreditedSession:
    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    credits: Decimal  # 0: none
    credit_rule: str | None  # the session's own rule; None: the event's


@dataclass(frozen=True)
class Candidate:
    """An attendee who was registered for, or attended, a session."""

    attendee_id: str
    name: str
    session: CreditedSession


def set_session_credits(conn: Conn, session_id: str, credits: Decimal | None, rule: str | None, set_rule: bool) -> None:
    """`credits` None keeps the session's credits; `set_rule` False keeps its rule."""
    if credits is not None:
        conn.execute("UPDATE sessions SET credits = ? WHERE session_id = ?", (float(credits), session_id))
    if set_rule:
        conn.execute("UPDATE sessions SET credit_rule = ? WHERE session_id = ?", (rule, session_id))


def _session(r) -> CreditedSession:
    return CreditedSession(
        r["session_id"],
        r["title"],
        from_db(r["starts_at"]),
        from_db(r["ends_at"]),
        Decimal(repr(float(r["credits"]))),
        r["credit_rule"],
    )


# Registered for the session, or with an effective check-in or check-out there.
_CANDIDATES = f"""
SELECT a.attendee_id, a.name, s.session_id, s.title, s.starts_at, s.ends_at, s.credits, s.credit_rule
FROM sessions s JOIN attendees a
WHERE {{where}} (
    EXISTS (SELECT 1 FROM registrations r WHERE r.attendee_id = a.attendee_id AND r.session_id = s.session_id)
    OR EXISTS (SELECT 1 FROM attendance_log l WHERE l.attendee_id = a.attendee_id AND l.session_id = s.session_id
               AND {EFFECTIVE}))
ORDER BY a.attendee_id, s.starts_at, s.session_id"""


def candidates(conn: Conn, attendee_id: str | None = None, credited_only: bool = True) -> list[Candidate]:
    """Each attendee (or the one given) with each session they were registered for or attended,
    by attendee and start; sessions with credits only, unless `credited_only` is False."""
    where = "s.credits > 0 AND " if credited_only else ""
    params: tuple = ()
    if attendee_id is not None:
        where += "a.attendee_id = ? AND "
        params = (attendee_id,)
    rows = fetch_all(conn, _CANDIDATES.format(where=where), params)
    return [Candidate(r["attendee_id"], r["name"], _session(r)) for r in rows]
