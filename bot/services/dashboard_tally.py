"""What the attendance log says so far, kept by the dashboard between first views (`Tally`).

The log only grows, so each view reads just the rows added since the last (`board.log_after`); an
UNDO takes its row's part back. The tally keeps, as it reads, every number the first view draws from
the log: effective check-ins and check-outs per session and 5 minutes (and over all sessions), who
arrived where, the times of every check-in, the refused attempts, and a version per session that
moves with each of its rows, so that a view works out again only the sessions whose rows moved
(`bot.services.dashboard.compute_overview` keeps each session's numbers with the version they were
made at). Times stay the log's UTC text ('YYYY-MM-DDTHH:MM:SS.ffffffZ'): compared and cut as text.

A tally is used by one computation at a time (the dashboard's `SharedOverview` computes for every
screen).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from datetime import datetime
from functools import lru_cache
from itertools import takewhile
from typing import NamedTuple

from bot.domain.times import from_db
from bot.domain.visits import IN, OUT, Movement
from bot.services.dashboard_inside import Inside
from bot.storage import dashboard as board
from bot.storage.sql import Conn

KEPT_SPANS = 4  # the days whose arrivals are kept up to date (the dashboard asks for one at a time)


class RecentActivity(NamedTuple):
    checkins: int
    refusals: int
    reasons: list[tuple[str, int]]  # the most frequent refusal reasons, most frequent first


class Tally:
    def __init__(self) -> None:
        self.last_id = 0
        self.arrivals: dict[str, dict[str, int]] = {}  # session -> attendee -> effective check-ins
        # session -> 'YYYY-MM-DDTHH:MM' (UTC, the start of 5 minutes) -> [ins, outs]
        self.moves: dict[str, dict[str, list[int]]] = {}
        self.all_moves: dict[str, list[int]] = {}  # the same over all sessions
        self.versions: Counter = Counter()  # session -> how many of its rows were counted or taken back
        self.checkins: list[tuple[str, str]] = []  # (time, attendee) of every effective check-in, sorted
        self.refused: list[tuple[str, str]] = []  # (time, reason) of every refused attempt, in log order
        self.expected_version = 0  # moves when `expected` reads the expected attendees again
        self._expected: tuple[tuple, dict[str, set[str]]] | None = None
        self._came: dict[tuple[str, str], Counter] = {}  # (start, end) -> attendee -> check-ins in it
        self.inside = Inside()  # people inside over time, by the visits rule
        # session -> (what its numbers were made from, its `SessionView`): kept by `compute_overview`
        self.session_views: dict[str, tuple[tuple, object]] = {}
        self.awaited: tuple[tuple, set[str]] | None = None  # (sessions of the day, version) -> people expected

    def read(self, conn: Conn) -> None:
        count, refused = self._count, self.refused
        rows = board.log_after(conn, self.last_id)  # id, at, session, attendee, direction, accepted, reason, ref
        for row in rows:
            if row[4] == "UNDO":
                undone = board.log_row(conn, row[7]) if row[7] is not None else None
                if undone is not None and undone.accepted:
                    count(undone, -1)
            elif not row[5]:
                refused.append((row[1], row[6]))
            else:
                count(row, 1)
        if rows:
            self.last_id = rows[-1][0]

    def _count(self, row: tuple, step: int) -> None:
        _id, at, session, person, direction = row[:5]
        if direction not in (IN, OUT) or session is None or person is None:
            return
        self.versions[session] += 1
        bucket = at[:15] + ("0" if at[15] < "5" else "5")
        buckets = self.moves.get(session)
        if buckets is None:
            buckets = self.moves[session] = {}
        for moves in (buckets, self.all_moves):
            move = moves.get(bucket)
            if move is None:
                move = moves[bucket] = [0, 0]
            move[1 if direction == OUT else 0] += step
        (self.inside.add if step > 0 else self.inside.remove)(person, Movement(from_db(at), direction, session))
        if direction == OUT:
            return
        people = self.arrivals.get(session)
        if people is None:
            people = self.arrivals[session] = {}
        people[person] = people.get(person, 0) + step
        if step > 0:
            insort(self.checkins, (at, person))  # at the end, unless the clock went back
        else:
            self.checkins.remove((at, person))
            if people[person] <= 0:
                del people[person]
        for (start, end), came in self._came.items():
            if start <= at < end:
                came[person] += step
                if came[person] <= 0:
                    del came[person]

    def expected(self, conn: Conn, include_targets: bool) -> dict[str, set[str]]:
        """Session -> the attendees it expects (`board.expected_pairs`), read again only when the
        registrations, targets, groups or access-control mode have changed."""
        key = (include_targets, board.expected_fingerprint(conn))
        if self._expected is None or self._expected[0] != key:
            expected: dict[str, set[str]] = {}
            for session_id, attendee_id in board.expected_pairs(conn, include_targets):
                expected.setdefault(session_id, set()).add(attendee_id)
            self._expected = (key, expected)
            self.expected_version += 1
        return self._expected[1]

    def since(self, moment: str) -> RecentActivity:
        """Check-ins and refused attempts at or after `moment`, the top three reasons."""
        checkins = len(self.checkins) - bisect_left(self.checkins, (moment,))
        reasons = Counter(r for _at, r in takewhile(lambda x: x[0] >= moment, reversed(self.refused)))
        top = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:3]
        return RecentActivity(checkins, sum(reasons.values()), top)

    def came(self, start: str, end: str):
        """The attendees with an effective check-in from `start` to `end` (a set-like view). Made once
        for a span, then kept up to date as rows are counted (the dashboard asks for the same day at
        every view)."""
        came = self._came.get((start, end))
        if came is None:
            if len(self._came) >= KEPT_SPANS:
                self._came.clear()
            lo, hi = bisect_left(self.checkins, (start,)), bisect_left(self.checkins, (end,))
            came = self._came[(start, end)] = Counter(person for _at, person in self.checkins[lo:hi])
        return came.keys()

    def day_moves(self, start: str, end: str) -> list[tuple[datetime, int]]:
        """(5 minutes, effective check-ins) over all sessions from `start` to `end`, each 5 minutes
        with any movement."""
        return [
            (bucket_time(bucket), ins)
            for bucket, (ins, outs) in self.all_moves.items()
            if start[:16] <= bucket < end[:16] and (ins or outs)
        ]


@lru_cache(maxsize=4096)
def bucket_time(bucket: str) -> datetime:
    return datetime.fromisoformat(bucket + ":00+00:00")
