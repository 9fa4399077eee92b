"""People inside over the day, for the dashboard: each person counted once, by the visits rule.

A person is inside while one of their visits is (`bot.domain.visits`: a visit ends at their
check-out, at their check-in to an overlapping session when the event counts people in one room at a
time, or at the session's end). The dashboard keeps every person's effective check-ins and
check-outs (`Inside.add`, `Inside.remove`, fed by `services.dashboard_tally.Tally` as it reads the log) and
works out again only the visits of the people with new rows, or everyone's when the sessions' times
or the one-room setting change. A visit still open counts until its session's end, which is when the
rule ends it unless the person does something first (and then they have new rows).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.domain.visits import Movement, SessionSpan, walk

BUCKET = timedelta(minutes=5)


def floor5(moment: datetime) -> datetime:
    return moment - timedelta(minutes=moment.minute % 5, seconds=moment.second, microseconds=moment.microsecond)


class Inside:
    def __init__(self) -> None:
        self.timelines: dict[str, list[Movement]] = {}  # attendee -> effective IN and OUT rows
        # attendee -> their times inside (start, end), joined where their visits overlap
        self.intervals: dict[str, list[tuple[datetime, datetime | None]]] = {}
        self.delta: Counter = Counter()  # start of 5 minutes -> people coming in less people leaving
        self.dirty: set[str] = set()
        self.rule: tuple | None = None  # the sessions' spans and the one-room setting the visits were worked with
        # Every person's times inside (their visits, overlapping ones joined: someone who checks in early
        # to the next session while still in this one is one person), starts and ends sorted: the
        # people inside at a moment are the times inside begun less those ended by then.
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []  # the visits with an end (an open visit of an unknown session has none)

    def add(self, person: str, movement: Movement) -> None:
        self.timelines.setdefault(person, []).append(movement)
        self.dirty.add(person)

    def remove(self, person: str, movement: Movement) -> None:
        self.timelines[person].remove(movement)
        self.dirty.add(person)

    def refresh(self, spans: Mapping[str, SessionSpan], now: datetime, one_room: bool) -> None:
        """Work out the visits of everyone with new rows (everyone, when the rule's inputs changed)."""
        rule = (dict(spans), one_room)
        if rule != self.rule:
            self.rule, self.intervals, self.delta, self.starts, self.ends = rule, {}, Counter(), [], []
            self.dirty = set(self.timelines)
        for person in self.dirty:
            for start, end in self.intervals.pop(person, ()):
                self._mark(start, end, -1)
            found, _strays = walk(self.timelines.get(person, ()), spans, now, one_room)
            mine: list[tuple[datetime, datetime | None]] = []
            for v in sorted(found, key=lambda v: v.start):
                span = spans.get(v.session_id)
                end = v.end if v.end is not None else span.ends if span is not None else None
                if end is not None and end <= v.start:
                    continue
                if mine and (mine[-1][1] is None or v.start <= mine[-1][1]):  # overlapping: one person, once
                    last_end = mine[-1][1]
                    mine[-1] = (mine[-1][0], None if end is None or last_end is None else max(end, last_end))
                else:
                    mine.append((v.start, end))
            for start, end in mine:
                self._mark(start, end, 1)
            self.intervals[person] = mine
        self.dirty = set()

    def _mark(self, start: datetime, end: datetime | None, step: int) -> None:
        self.delta[floor5(start)] += step
        if end is not None:
            self.delta[floor5(end)] -= step
        if step > 0:
            insort(self.starts, start)
            if end is not None:
                insort(self.ends, end)
        else:
            del self.starts[bisect_left(self.starts, start)]
            if end is not None:
                del self.ends[bisect_left(self.ends, end)]

    def line(self, start: datetime, width: int) -> list[int]:
        """People inside in each of `width` 5 minutes from `start` (a person in from anywhere in a 5
        minutes to anywhere in a later one counts in each 5 minutes from the first to the one before
        the last)."""
        count = sum(n for moment, n in self.delta.items() if moment < start)
        line = []
        for index in range(width):
            count += self.delta.get(start + index * BUCKET, 0)
            line.append(count)
        return line

    def now(self, now: datetime) -> int:
        """People with a visit going on at `now`."""
        return bisect_right(self.starts, now) - bisect_right(self.ends, now)
