"""The dashboard's own rules: a session's status, the day it shows, people inside (each once, by the
visits rule), and the log read as it grows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.times import to_db
from bot.domain.visits import Movement, SessionSpan
from bot.services.dashboard import BUCKET, Status, Tally, compute_overview, floor5, shown_day, status
from bot.services.dashboard_inside import Inside
from bot.services.dashboard_tally import bucket_time
from bot.storage.dashboard import read_snapshot
from tests.service_event import sample_event

PARIS = ZoneInfo("Europe/Paris")
T = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)  # 10:00 in Paris


def test_a_sessions_status_follows_its_check_in_window_and_its_times():
    opens, starts, ends = T - timedelta(minutes=30), T, T + timedelta(hours=1)
    assert status(opens - timedelta(seconds=1), opens, starts, ends) is Status.UPCOMING
    assert status(opens, opens, starts, ends) is Status.OPEN
    assert status(starts, opens, starts, ends) is Status.RUNNING
    assert status(ends - timedelta(seconds=1), opens, starts, ends) is Status.RUNNING
    assert status(ends, opens, starts, ends) is Status.CLOSED


def test_the_day_shown_is_today_else_the_next_day_with_sessions_else_the_last():
    spans = [(T, T + timedelta(hours=1)), (T + timedelta(days=2), T + timedelta(days=2, hours=1))]
    assert shown_day(T, PARIS, spans) == date(2026, 5, 14)
    assert shown_day(T + timedelta(days=1), PARIS, spans) == date(2026, 5, 16)  # between the days
    assert shown_day(T + timedelta(days=9), PARIS, spans) == date(2026, 5, 16)  # after the event
    assert shown_day(T - timedelta(days=3), PARIS, spans) == date(2026, 5, 14)  # before it
    assert shown_day(T, PARIS, []) == date(2026, 5, 14)
    # 23:30 UTC on the 13th is already the 14th in Paris.
    assert shown_day(datetime(2026, 5, 13, 23, 30, tzinfo=UTC), PARIS, spans) == date(2026, 5, 14)


def test_floor5():
    assert floor5(datetime(2026, 5, 14, 8, 7, 59, 999, tzinfo=UTC)) == datetime(2026, 5, 14, 8, 5, tzinfo=UTC)
    assert floor5(T) == T


def test_people_inside_are_counted_once_by_the_visits_rule_and_leave_when_their_session_ends():
    s1, s2 = SessionSpan("S1", T, T + 6 * BUCKET), SessionSpan("S2", T + 2 * BUCKET, T + 12 * BUCKET)
    spans = {"S1": s1, "S2": s2}
    inside = Inside()
    inside.add("A", Movement(T, "IN", "S1"))
    inside.add("B", Movement(T + BUCKET, "IN", "S1"))
    inside.add("B", Movement(T + 3 * BUCKET, "IN", "S2"))  # overlapping S1: B moved (one room at a time)
    inside.add("C", Movement(T + 2 * BUCKET, "IN", "S2"))
    inside.add("C", Movement(T + 4 * BUCKET, "OUT", "S2"))
    inside.refresh(spans, T + 5 * BUCKET, one_room=True)
    assert inside.line(T, 12) == [1, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1]  # A leaves at S1's end, B at S2's
    assert (inside.now(T + 5 * BUCKET), inside.now(T + 7 * BUCKET)) == (2, 1)
    inside.refresh(spans, T + 5 * BUCKET, one_room=False)  # B in both rooms: still one person
    assert inside.now(T + 5 * BUCKET) == 2 and inside.line(T, 12)[3] == 3
    inside.remove("C", Movement(T + 4 * BUCKET, "OUT", "S2"))  # an undone check-out: C stays
    inside.refresh(spans, T + 5 * BUCKET, one_room=True)
    assert inside.now(T + 5 * BUCKET) == 3
    # D, in S1, checks in early to S3, which starts as S1 ends (no overlap): both visits go on, one person.
    spans["S3"] = SessionSpan("S3", T + 6 * BUCKET, T + 9 * BUCKET)
    inside.add("D", Movement(T, "IN", "S1"))
    inside.add("D", Movement(T + 4 * BUCKET, "IN", "S3"))
    inside.refresh(spans, T + 5 * BUCKET, one_room=True)
    assert inside.intervals["D"] == [(T, T + 9 * BUCKET)]
    assert inside.now(T + 5 * BUCKET) == 4 and inside.line(T, 12)[4] == 4


async def test_the_tally_read_in_steps_equals_the_log_read_at_once_and_an_undo_takes_its_row_back(tmp_path):
    """The dashboard reads only the log rows added since its last view; an UNDO (of a check-in, or of
    an override) removes that row's part, as `report_rows.NOT_UNDONE` does for the reports."""
    rows = [  # id, minutes after T, attendee, session, direction, accepted, reason, ref_id
        (1, 0, "REG-1", "S1", "IN", 1, "ok", None),
        (2, 1, "REG-2", "S1", "IN", 1, "ok", None),
        (3, 2, "REG-3", "S2", "IN", 0, "not_registered", None),
        (4, 6, "REG-3", "S2", "IN", 1, "ok", 3),  # an override of the refusal
        (5, 7, "REG-2", "S1", "UNDO", 1, "ok", 2),
        (6, 12, "REG-1", "S1", "OUT", 1, "ok", None),
        (7, 13, "REG-3", "S2", "UNDO", 1, "ok", 4),
        (8, 14, "REG-1", "S1", "IN", 1, "ok", None),
    ]
    async with sample_event(tmp_path, lambda: T) as ctx:

        def insert(upto: int):
            def run(conn):
                conn.executemany(
                    "INSERT INTO attendance_log (id, at, attendee_id, session_id, direction, method, accepted, "
                    "reason, ref_id) VALUES (?, ?, ?, ?, ?, 'pin', ?, ?, ?)",
                    [(i, to_db(T + timedelta(minutes=m)), *rest) for i, m, *rest in rows if upto - 4 < i <= upto],
                )

            return ctx.db.write(run)

        def read(tally: Tally) -> Tally:
            with read_snapshot(str(ctx.db.path)) as conn:
                tally.read(conn)
            return tally

        steps = Tally()
        await insert(4)
        read(steps)
        assert steps.arrivals["S2"] == {"REG-3": 1} and steps.refused == [
            (to_db(T + timedelta(minutes=2)), "not_registered")
        ]
        await insert(8)
        whole = read(Tally())
        for tally in (read(steps), whole):
            assert {s: dict(c) for s, c in tally.arrivals.items() if c} == {"S1": {"REG-1": 2}}
            assert tally.checkins == [(to_db(T), "REG-1"), (to_db(T + timedelta(minutes=14)), "REG-1")]
            assert tally.came(to_db(T), to_db(T + timedelta(hours=1))) == {"REG-1"}
            moved = {
                bucket_time(bucket): tuple(move)
                for buckets in tally.moves.values()
                for bucket, move in buckets.items()
                if any(move)
            }
            assert moved == {T: (1, 0), T + 2 * BUCKET: (1, 1)}
            assert tally.since(to_db(T + timedelta(minutes=10))) == (1, 0, [])
            assert tally.since(to_db(T)) == (2, 1, [("not_registered", 1)])


async def test_a_view_from_a_kept_tally_equals_one_from_the_whole_log_as_the_event_moves_on(tmp_path):
    """The server keeps its tally, each session's row and the day's arrivals between views and works out
    again only what moved: after new check-ins, an UNDO, a new registration and the clock moving past
    the sessions' starts and ends, every view equals one made from the whole log at once."""
    rows = [  # id, minutes after T, attendee, session, direction, accepted, reason, ref_id
        (1, 0, "REG-1", "S1", "IN", 1, "ok", None),
        (2, 1, "REG-2", "S1", "IN", 1, "ok", None),
        (3, 2, "REG-3", "S2", "IN", 0, "not_registered", None),
        (4, 6, "REG-3", "S2", "IN", 1, "ok", 3),
        (5, 7, "REG-2", "S1", "UNDO", 1, "ok", 2),
        (6, 12, "REG-1", "S1", "OUT", 1, "ok", None),
        (7, 13, "REG-1", "S2", "IN", 1, "ok", None),
        (8, 14, "REG-2", "S1", "IN", 1, "ok", None),
    ]
    async with sample_event(tmp_path, lambda: T) as ctx:

        def run(statement: str, params) -> None:
            def write(conn):
                conn.executemany(statement, params)

            return ctx.db.write(write)

        def views(kept: Tally, now: datetime):
            with read_snapshot(str(ctx.db.path)) as conn:
                return compute_overview(conn, now, PARIS, kept), compute_overview(conn, now, PARIS, Tally())

        kept, log = Tally(), []
        for upto, minutes in ((4, 5), (6, 12), (8, 30), (8, 31), (8, 240)):
            await run(
                "INSERT INTO attendance_log (id, at, attendee_id, session_id, direction, method, accepted, "
                "reason, ref_id) VALUES (?, ?, ?, ?, ?, 'pin', ?, ?, ?)",
                [(i, to_db(T + timedelta(minutes=m)), *rest) for i, m, *rest in rows if len(log) < i <= upto],
            )
            log = rows[:upto]
            if minutes == 31:  # someone registers for S2, and nothing else moves
                await run("INSERT INTO registrations (attendee_id, session_id) VALUES (?, ?)", [("REG-2", "S2")])
            incremental, whole = views(kept, T + timedelta(minutes=minutes))
            assert incremental == whole, minutes
        assert [v.numbers.expected for v in whole.sessions] != [0] * len(whole.sessions)
        assert {v.status for v in incremental.sessions} != {Status.UPCOMING}
