"""bot.domain.visits: every way a visit ends, and the properties minutes keep whatever the rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.visits import (
    Movement,
    SessionSpan,
    Visit,
    minutes_attended,
    minutes_by_session,
    overlap,
    visits,
    walk,
)

T0 = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)


def t(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def span(session_id: str, start: int, end: int) -> SessionSpan:
    return SessionSpan(session_id, t(start), t(end))


# A 09:00-10:00, B 09:30-11:00 (overlaps A), C 10:00-11:00 (touches A: no overlap)
SESSIONS = {s.session_id: s for s in (span("A", 0, 60), span("B", 30, 120), span("C", 60, 120))}
LATE = t(600)


def IN(session: str, minute: int) -> Movement:
    return Movement(t(minute), "IN", session)


def OUT(session: str, minute: int) -> Movement:
    return Movement(t(minute), "OUT", session)


def minutes(timeline, now=LATE, one_room=True) -> dict[str, float]:
    return {s: m for s, (m, _ended) in minutes_by_session(timeline, SESSIONS, now, one_room).items()}


def test_out_pin_ends_the_visit():
    assert visits([IN("A", 10), OUT("A", 40)], SESSIONS, LATE) == [Visit("A", t(10), t(40), "out_pin", t(40))]
    assert minutes([IN("A", 10), OUT("A", 40)]) == {"A": 30}


def test_a_check_in_to_an_overlapping_session_ends_the_visit():
    assert visits([IN("A", 10), IN("B", 40)], SESSIONS, LATE) == [
        Visit("A", t(10), t(40), "moved_to B"),
        Visit("B", t(40), t(120), "session_end"),
    ]
    assert visits([IN("A", 10), IN("B", 40)], SESSIONS, LATE)[0].moved_to == "B"
    assert minutes([IN("A", 10), IN("B", 40)]) == {"A": 30, "B": 80}


def test_the_setting_off_keeps_both_visits():
    assert visits([IN("A", 10), IN("B", 40)], SESSIONS, LATE, one_room_at_a_time=False) == [
        Visit("A", t(10), t(60), "session_end"),
        Visit("B", t(40), t(120), "session_end"),
    ]
    assert minutes([IN("A", 10), IN("B", 40)], one_room=False) == {"A": 50, "B": 80}


def test_a_session_that_only_touches_is_no_move():
    assert not overlap(SESSIONS["A"], SESSIONS["C"]) and overlap(SESSIONS["A"], SESSIONS["B"])
    assert visits([IN("A", 50), IN("C", 60)], SESSIONS, LATE) == [
        Visit("A", t(50), t(60), "session_end"),
        Visit("C", t(60), t(120), "session_end"),
    ]


def test_the_session_end_ends_the_visit_and_a_late_out_is_shown_not_counted():
    assert visits([IN("A", 0), OUT("A", 75)], SESSIONS, LATE) == [Visit("A", t(0), t(60), "session_end", t(75))]
    assert minutes([IN("A", 0), OUT("A", 75)]) == {"A": 60}
    assert walk([IN("A", 0), OUT("A", 75)], SESSIONS, LATE)[1] == []
    # An OUT at the very instant of the end is the visit's end by the OUT PIN.
    assert visits([IN("A", 0), OUT("A", 60)], SESSIONS, LATE)[0].ended_by == "out_pin"


def test_open_while_the_session_runs():
    assert visits([IN("B", 40)], SESSIONS, t(70)) == [Visit("B", t(40), None, "open")]
    assert minutes_by_session([IN("B", 40)], SESSIONS, t(70)) == {"B": (30, False)}
    assert minutes_by_session([IN("B", 40)], SESSIONS, t(120)) == {"B": (80, True)}


def test_re_entry_adds_up_and_a_second_check_in_starts_nothing():
    assert minutes([IN("A", 0), OUT("A", 10), IN("A", 20), OUT("A", 30)]) == {"A": 20}
    assert visits([IN("A", 0), IN("A", 20), OUT("A", 30)], SESSIONS, LATE) == [
        Visit("A", t(0), t(30), "out_pin", t(30))
    ]


def test_arriving_early_counts_from_the_start():
    assert minutes([IN("B", 0), OUT("B", 45)]) == {"B": 15}
    assert minutes([IN("A", -30), OUT("A", -10)]) == {"A": 0}


def test_out_without_in_is_a_stray_and_counts_nothing():
    found, strays = walk([OUT("A", 20), IN("A", 30), OUT("A", 40)], SESSIONS, LATE)
    assert strays == [OUT("A", 20)]
    assert found == [Visit("A", t(30), t(40), "out_pin", t(40))]
    assert minutes([OUT("A", 20)]) == {}


def test_a_check_in_after_the_end_is_a_visit_of_no_length():
    assert visits([IN("A", 70)], SESSIONS, LATE) == [Visit("A", t(70), t(70), "session_end")]
    assert minutes([IN("A", 70)]) == {"A": 0}


def test_ties_out_before_in_then_session_id():
    # OUT and IN at the same second: the visit closes and a new one opens.
    assert visits([IN("A", 30), OUT("A", 10), IN("A", 10), IN("A", 0)], SESSIONS, LATE) == [
        Visit("A", t(0), t(10), "out_pin", t(10)),
        Visit("A", t(10), t(60), "session_end"),
    ]
    # Two overlapping check-ins at the same second: by session id, A then B.
    assert [v.ended_by for v in visits([IN("B", 40), IN("A", 40)], SESSIONS, LATE)] == ["moved_to B", "session_end"]


def test_minutes_count_overlapping_visits_once():
    a = SESSIONS["A"]
    both = [Visit("A", t(0), t(40), "out_pin"), Visit("A", t(20), t(50), "out_pin"), Visit("B", t(0), t(60), "x")]
    assert minutes_attended(both, a, LATE) == 50
    assert minutes_attended([Visit("A", t(50), None, "open")], a, t(55)) == 5


# ---------------------------------------------------------------- properties

movement = st.builds(
    Movement,
    st.integers(-40, 160).map(t),
    st.sampled_from(["IN", "OUT"]),
    st.sampled_from(["A", "B", "C"]),
)
timelines = st.lists(movement, max_size=14)
moments = st.integers(-40, 200).map(t)


@settings(max_examples=100)
@given(timelines, moments, st.booleans(), st.randoms(use_true_random=False))
def test_order_of_rows_does_not_matter(timeline, now, one_room, rnd: random.Random):
    shuffled = list(timeline)
    rnd.shuffle(shuffled)
    assert walk(shuffled, SESSIONS, now, one_room) == walk(timeline, SESSIONS, now, one_room)


@settings(max_examples=150)
@given(timelines, moments, st.booleans())
def test_minutes_never_exceed_the_session_and_visits_are_sound(timeline, now, one_room):
    found, strays = walk(timeline, SESSIONS, now, one_room)
    for session_id, (mins, ended) in minutes_by_session(timeline, SESSIONS, now, one_room).items():
        length = (SESSIONS[session_id].ends - SESSIONS[session_id].starts).total_seconds() / 60
        assert 0 <= mins <= length
        assert ended == all(v.end is not None for v in found if v.session_id == session_id)
    assert len(found) <= sum(m.direction == "IN" for m in timeline)
    assert all(m.direction == "OUT" for m in strays)
    for v in found:
        assert (v.end is None) == (v.ended_by == "open")
        assert v.end is None or v.end >= v.start
        assert v.end is None or v.end <= max(SESSIONS[v.session_id].ends, v.start)
    if one_room:  # never inside two overlapping sessions at once
        for a in found:
            for b in found:
                if a is not b and overlap(SESSIONS[a.session_id], SESSIONS[b.session_id]):
                    a_end, b_end = a.end or LATE, b.end or LATE
                    assert not (a.start < b_end and b.start < a_end), (a, b)


visit = st.builds(
    Visit,
    st.just("A"),
    st.integers(-40, 100).map(t),
    st.one_of(st.none(), st.integers(0, 60).map(lambda m: timedelta(minutes=m))),
    st.just("out_pin"),
).map(
    lambda v: Visit(
        v.session_id, v.start, None if v.end is None else v.start + v.end, "open" if v.end is None else "out_pin"
    )
)


@settings(max_examples=150)
@given(st.lists(visit, max_size=8), visit, moments)
def test_adding_a_visit_never_lowers_minutes(some, extra, now):
    a = SESSIONS["A"]
    before = minutes_attended(some, a, now)
    after = minutes_attended([*some, extra], a, now)
    assert before <= after + 1e-9
    assert after <= 60
    assert after <= before + minutes_attended([extra], a, now) + 1e-9
