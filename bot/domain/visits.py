"""Visits: how long someone was in a session, from their check-ins and check-outs.

Pure: one person's accepted, not undone IN and OUT rows (`Movement`) and the
sessions' times (`SessionSpan`) in, their visits and minutes out.

A visit starts at a check-in and ends at the first of:

- their check-out of that session (the OUT PIN): `out_pin`;
- their check-in to another session whose start-end overlaps this one's, when
  the event counts people in one room at a time: `moved_to <session id>`;
- the session's end: `session_end`.

A visit that has not ended yet is `open` (its `end` is None). A check-in while
already inside the same session starts no new visit. A check-out with no open
visit of that session starts and ends nothing: when the person's last visit of
that session already ended another way (the session ended, they moved) and has
no check-out yet, it is that visit's late `check_out` (shown, never counted);
otherwise (an OUT without an IN) it is a stray check-out, a recorded anomaly
that `walk` hands back apart and no minutes count.

Order of the input does not matter: rows are taken by time; at the same
instant a check-out comes before a check-in (so an OUT and a new IN at the same
second close one visit and open the next), then by session id. A row at the
very instant a session ends still counts as before the end: an OUT at 10:00 of
a session ending at 10:00 ended the visit by `out_pin`. Sessions' times are
half-open, start <= t < end: back-to-back sessions (9-10, 10-11) do not overlap.

A check-in at or after its session's end (an override, say) is a visit of no
length, ended by `session_end` at its own start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

IN = "IN"
OUT = "OUT"

OUT_PIN = "out_pin"
MOVED_TO = "moved_to"
SESSION_END = "session_end"
OPEN = "open"


@dataclass(frozen=True)
class Movement:
    """One accepted, not undone IN or OUT row of one person."""

    at: datetime
    direction: str  # "IN" or "OUT"
    session_id: str


@dataclass(frozen=True)
class SessionSpan:
    session_id: str
    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class Visit:
    session_id: str
    start: datetime
    end: datetime | None  # None while open
    ended_by: str  # "out_pin" | "moved_to <session id>" | "session_end" | "open"
    # When the OUT PIN was sent for this visit: its `end` for `out_pin`; later than `end`
    # when it came after the visit ended another way; None when never sent.
    check_out: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.end is None

    @property
    def moved_to(self) -> str | None:
        """The session the person went to, when that ended the visit."""
        prefix = MOVED_TO + " "
        return self.ended_by[len(prefix) :] if self.ended_by.startswith(prefix) else None


def moved_to(session_id: str) -> str:
    """The `ended_by` of a visit ended by a check-in to `session_id`."""
    return f"{MOVED_TO} {session_id}"


def overlap(a: SessionSpan, b: SessionSpan) -> bool:
    """Whether two sessions' start-end intervals intersect (half-open: touching is not overlapping)."""
    return a.starts < b.ends and b.starts < a.ends


def order_key(m: Movement) -> tuple:
    """Time, then OUT before IN, then session id: the order rows are taken in."""
    return (m.at, 0 if m.direction == OUT else 1, m.session_id)


def visits(
    timeline: Sequence[Movement],
    sessions: Mapping[str, SessionSpan],
    now: datetime,
    one_room_at_a_time: bool = True,
) -> list[Visit]:
    """One person's visits, ordered by start then session id.

    A session missing from `sessions` has no known end and overlaps nothing:
    its visits end only by a check-out.
    """
    return walk(timeline, sessions, now, one_room_at_a_time)[0]


def walk(
    timeline: Sequence[Movement],
    sessions: Mapping[str, SessionSpan],
    now: datetime,
    one_room_at_a_time: bool = True,
) -> tuple[list[Visit], list[Movement]]:
    """One person's visits (as `visits`) and their stray check-outs (OUT without an IN), by time."""
    inside: dict[str, datetime] = {}  # session id -> start of the open visit
    done: list[Visit] = []
    last_ended: dict[str, int] = {}  # session id -> index in `done` of its last visit
    strays: list[Movement] = []

    def close(session_id: str, end: datetime, ended_by: str, check_out: datetime | None = None) -> None:
        last_ended[session_id] = len(done)
        done.append(Visit(session_id, inside.pop(session_id), end, ended_by, check_out))

    def close_ended(before: datetime, inclusive: bool) -> None:
        for session_id in sorted(inside):
            span = sessions.get(session_id)
            if span is not None and (span.ends <= before if inclusive else span.ends < before):
                close(session_id, max(span.ends, inside[session_id]), SESSION_END)

    for m in sorted(timeline, key=order_key):
        close_ended(m.at, inclusive=False)
        if m.direction == OUT:
            if m.session_id in inside:
                close(m.session_id, m.at, OUT_PIN, m.at)
            elif m.session_id in last_ended and done[last_ended[m.session_id]].check_out is None:
                index = last_ended[m.session_id]
                done[index] = replace(done[index], check_out=m.at)
            else:
                strays.append(m)
            continue
        if m.direction != IN or m.session_id in inside:
            continue
        span = sessions.get(m.session_id)
        if one_room_at_a_time and span is not None:
            for other in sorted(inside):
                other_span = sessions.get(other)
                if other_span is not None and overlap(span, other_span):
                    close(other, m.at, moved_to(m.session_id))
        inside[m.session_id] = m.at
        if span is not None and m.at >= span.ends:
            close(m.session_id, m.at, SESSION_END)
    close_ended(now, inclusive=True)
    opened = [Visit(s, start, None, OPEN) for s, start in inside.items()]
    ordered = sorted(done + opened, key=lambda v: (v.start, v.session_id, v.end is None, v.end or v.start))
    return ordered, strays


def _intervals(visits_of_one_session: Iterable[Visit], span: SessionSpan, now: datetime):
    for v in visits_of_one_session:
        if v.session_id != span.session_id:
            continue
        end = v.end if v.end is not None else min(now, span.ends)
        lo, hi = max(v.start, span.starts), min(end, span.ends)
        if lo < hi:
            yield lo, hi


def minutes_attended(visits_of_one_session: Sequence[Visit], span: SessionSpan, now: datetime) -> float:
    """Minutes inside the session's own start-end: the union of the visits' intervals, so
    arriving early adds nothing and overlapping visits are not counted twice. Open visits
    count up to min(now, end). Visits of other sessions are left out."""
    total = 0.0
    reach: datetime | None = None
    for lo, hi in sorted(_intervals(visits_of_one_session, span, now)):
        if reach is not None and lo < reach:
            lo = reach
        if lo < hi:
            total += (hi - lo).total_seconds()
            reach = hi
    return total / 60


def minutes_by_session(
    timeline: Sequence[Movement],
    sessions: Mapping[str, SessionSpan],
    now: datetime,
    one_room_at_a_time: bool = True,
) -> dict[str, tuple[float, bool]]:
    """Per session of the timeline: (minutes attended, every visit ended)."""
    found = visits(timeline, sessions, now, one_room_at_a_time)
    result: dict[str, tuple[float, bool]] = {}
    for session_id in sorted({v.session_id for v in found}):
        mine = [v for v in found if v.session_id == session_id]
        span = sessions.get(session_id)
        minutes = minutes_attended(mine, span, now) if span is not None else 0.0
        result[session_id] = (minutes, all(not v.is_open for v in mine))
    return result
