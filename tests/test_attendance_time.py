"""Minutes attended per person and session, from the log, through the service helpers
(`bot.services.attendance_time`) that credits and the check-outs report use."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services import attendance_time, imports
from bot.storage import attendance_log
from bot.storage.records import LogEntry
from tests.service_event import sample_event

PARIS = ZoneInfo("Europe/Paris")
# S4 overlaps S2 (10:30-12:00): moving from S4 to S2 ends the S4 visit.
S4_CSV = "session_id,title,starts_at,ends_at\nS4,Hallway track,2026-05-14 10:00,2026-05-14 11:00\n"


def paris(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, 14, hour, minute, tzinfo=PARIS)


class Clock:
    now = paris(11, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def ctx(tmp_path):
    async with sample_event(tmp_path, clock=Clock()) as context:
        (report,) = await imports.import_files(context, [("sessions.csv", S4_CSV.encode())])
        assert report.ok
        yield context


async def record(ctx, attendee_id: str, rows: list[tuple[str, str, datetime]], undone: int | None = None) -> None:
    def write(conn) -> None:
        ids = [
            attendance_log.insert_log(conn, LogEntry(at, direction, "pin", True, "ok", attendee_id, session))
            for direction, session, at in rows
        ]
        if undone is not None:
            attendance_log.insert_log(
                conn,
                LogEntry(rows[undone][2], "UNDO", "pin", True, "ok", attendee_id, rows[undone][1], ref_id=ids[undone]),
            )

    await ctx.db.write(write)


async def test_minutes_by_session_and_for_everyone(ctx):
    await record(
        ctx,
        "REG-1",
        [
            ("IN", "S1", paris(8, 50)),  # early: counted from 09:00
            ("OUT", "S1", paris(9, 30)),
            ("IN", "S4", paris(10, 0)),
            ("IN", "S2", paris(10, 40)),  # ends the S4 visit
        ],
    )
    await record(ctx, "REG-3", [("OUT", "S1", paris(9, 10)), ("IN", "S3", paris(12, 40)), ("IN", "S1", paris(9, 0))], 2)
    assert await ctx.db.read(lambda conn: attendance_time.minutes_by_session(conn, ctx, "REG-1")) == {
        "S1": 30.0,
        "S2": 20.0,  # open: up to now
        "S4": 40.0,
    }
    everyone = await ctx.db.read(lambda conn: list(attendance_time.minutes_for_everyone(conn, ctx)))
    # Cleo's check-in at S1 is undone, her OUT is a stray; S3 has not started yet.
    assert everyone == [
        ("REG-1", "S1", 30.0, True),
        ("REG-1", "S2", 20.0, False),
        ("REG-1", "S4", 40.0, True),
        ("REG-3", "S3", 0.0, False),
    ]
    assert await attendance_time.one_room(ctx) is True
    assert await attendance_time.set_one_room(ctx, False) is False
    assert await attendance_time.one_room(ctx) is False
    by_session = await ctx.db.read(lambda conn: attendance_time.minutes_by_session(conn, ctx, "REG-1"))
    assert by_session["S4"] == 60.0, "with the setting off, S4 lasts to its end"
    assert await ctx.db.read(lambda conn: attendance_time.minutes_by_session(conn, ctx, "REG-2")) == {}


async def test_one_room_at_a_time_is_set_from_the_chat_and_the_command_line(harness, tmp_path, monkeypatch, capsys):
    from admin_commands.__main__ import run
    from tests.harness import ORGANISER

    reply = await harness.reply_text(ORGANISER, "/oneroom")
    assert reply.startswith("One room at a time: on.") and reply.endswith("Usage: /oneroom on|off")
    assert (await harness.reply_text(ORGANISER, "/oneroom off")).startswith("One room at a time: off.")
    assert await attendance_time.one_room(harness.ctx) is False
    assert (await harness.reply_text(ORGANISER, "/oneroom maybe")).startswith("One room at a time: off.")
    await harness.stop()  # the command line opens the same database on its own
    monkeypatch.setenv("DATABASE_PATH", str(harness.settings.database_path))
    assert await run(["one-room", "on"]) == 0
    assert capsys.readouterr().out.startswith("One room at a time: on.")
    assert await run(["one-room"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("Usage: attendance-admin one-room on|off")
    await harness.start()
