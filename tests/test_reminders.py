"""Reminders before sessions: opt-in, once per person and start time, in their language, never after
the session started, at the new time of a moved session, not to muted people.

Through the real Application (the organiser's /reminders, the agenda imported as a file), the
scheduler's pass (`bot.telegram.reminders.check`) and the outbox sender, on the harness's clock:
08:00 UTC is 10:00 in the event's zone (Europe/Paris).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import chat_texts, i18n
from bot.services import languages, reminders
from bot.storage.records import SessionRow
from bot.telegram import reminders as scheduler
from bot.telegram.outbox import OutboxSender
from tests.harness import ORGANISER, BotHarness

SESSIONS = """session_id,title,starts_at,ends_at,room,targets,pin_in,pin_out
S12,Keynote,2026-05-14 10:30,2026-05-14 11:30,Room A,,KEYIN12,KEYOUT12
S13,Workshop,2026-05-14 12:00,2026-05-14 13:00,,rust,WORKIN13,WORKOUT13
"""
MOVED = SESSIONS.replace("2026-05-14 10:30,2026-05-14 11:30", "2026-05-14 11:30,2026-05-14 12:30")
ATTENDEES = """attendee_id,name,groups
A1,Anna Albers,
A2,Ben Brook,rust
A3,Carl Cole,
A4,Dora Dunn,rust
A5,Emil Egger,
"""
REGISTRATIONS = """attendee_id,session_id
A1,S12
A2,S12
A3,S12
A5,S12
A1,S13
"""
# A3 has no Telegram linked; A4 is only targeted (group rust) for S13; A5 muted the bot.
LINKED = {"A1": 501, "A2": 502, "A4": 504, "A5": 505}
KEYNOTE_STARTS = datetime(2026, 5, 14, 8, 30, tzinfo=UTC)  # 10:30 in Paris
KEYNOTE = SessionRow("S12", "Keynote", KEYNOTE_STARTS, KEYNOTE_STARTS + timedelta(hours=1), "Room A", None, False)


async def start(tmp_path) -> BotHarness:
    h = await BotHarness(tmp_path).start()
    h.sender = OutboxSender(h.app, h.ctx)
    return h


async def imported(tmp_path) -> BotHarness:
    h = await start(tmp_path)
    for name, content in (
        ("sessions.csv", SESSIONS),
        ("attendees.csv", ATTENDEES),
        ("registrations.csv", REGISTRATIONS),
    ):
        calls = await h.send_document(ORGANISER, content.encode(), name)
        assert calls[-1].text.startswith(f"✅ {name}: imported "), calls[-1].text
    for attendee_id, user_id in LINKED.items():
        await h.execute("UPDATE attendees SET telegram_user_id = ? WHERE attendee_id = ?", (user_id, attendee_id))
    await h.execute("INSERT INTO muted (user_id, muted_at) VALUES (505, '2026-05-14T07:00:00.000000Z')")
    await languages.choose(h.ctx, 501, "de")  # A1 chose German; A2 gets the event's language (English)
    return h


@pytest.fixture
async def bot(tmp_path):
    h = await imported(tmp_path)
    yield h
    await h.stop()


async def at(h: BotHarness, hour: int, minute: int) -> reminders.Pass:
    """The clock at hour:minute UTC, one pass of the scheduler, and the sender's turn."""
    h.clock.now = datetime(2026, 5, 14, hour, minute, tzinfo=UTC)
    done = await scheduler.check(h.ctx)
    await h.sender.send_due()
    return done


def sent(h: BotHarness) -> dict[int, list[str]]:
    texts: dict[int, list[str]] = {}
    for call in h.api.sent("sendMessage"):
        if call.chat_id != ORGANISER.id:
            texts.setdefault(call.chat_id, []).append(call.text)
    return texts


def keynote(language: str, time: str = "10:30") -> str:
    """The keynote's reminder as the catalogue words it in `language` (at another time of day)."""
    with i18n.speaking(language):
        return chat_texts.reminder_text(KEYNOTE, ZoneInfo("Europe/Paris"), KEYNOTE_STARTS).replace("10:30", time)


async def test_reminders_are_off_by_default(bot):
    assert "Reminders are off" in await bot.reply_text(ORGANISER, "/reminders")
    for minute in (0, 20, 25, 29):
        assert (await at(bot, 8, minute)).queued == 0
    assert sent(bot) == {}
    assert await bot.rows("SELECT count(*) FROM outbox") == [(0,)]


async def test_a_due_reminder_goes_once_to_each_registered_person_in_their_language(bot):
    reply = await bot.reply_text(ORGANISER, "/reminders 10")
    assert reply.startswith("✅ Reminders: 10 minutes before each session starts, to its registered attendees")
    assert "10 minutes" in await bot.reply_text(ORGANISER, "/reminders")
    assert (await at(bot, 8, 19)).queued == 0  # not yet
    assert (await at(bot, 8, 20)).queued == 2
    texts = sent(bot)
    assert texts == {501: [keynote("de")], 502: ["⏰ S12 · Keynote starts at 10:30 in Room A."]}
    assert texts[501][0] != texts[502][0] and "10:30" in texts[501][0]
    assert not any(pin in t for ts in texts.values() for t in ts for pin in ("KEYIN12", "KEYOUT12"))
    for minute in (21, 25, 29):  # later passes: nothing twice
        assert (await at(bot, 8, minute)).queued == 0
    assert sent(bot) == texts
    assert 505 not in texts  # muted
    assert await bot.rows("SELECT state, count(*) FROM outbox GROUP BY state") == [("sent", 2)]


async def test_a_restart_sends_nothing_twice(tmp_path):
    before = await imported(tmp_path)
    await before.reply_text(ORGANISER, "/reminders 10")
    await at(before, 8, 20)
    assert sorted(sent(before)) == [501, 502]
    await before.stop()
    after = await start(tmp_path)  # the same event database, a new process
    try:
        for minute in (21, 25):
            assert (await at(after, 8, minute)).queued == 0
        assert sent(after) == {}
        assert await after.rows("SELECT state, count(*) FROM outbox GROUP BY state") == [("sent", 2)]
    finally:
        await after.stop()


async def test_a_bot_down_at_the_due_minute_reminds_late_while_the_session_has_not_started(bot):
    await bot.reply_text(ORGANISER, "/reminders 10")
    await at(bot, 8, 15)
    assert (await at(bot, 8, 27)).queued == 2  # down from 08:15 to 08:27: due at 08:20, the start is 08:30
    assert sorted(sent(bot)) == [501, 502]


async def test_a_reminder_still_waiting_when_its_session_starts_is_dropped_and_logged(bot, caplog):
    await bot.reply_text(ORGANISER, "/reminders 10")
    bot.clock.now = datetime(2026, 5, 14, 8, 20, tzinfo=UTC)
    assert (await scheduler.check(bot.ctx)).queued == 2  # queued, but the sender does not get to them
    bot.clock.now = KEYNOTE_STARTS
    assert await bot.sender.send_due() is False  # at the start: never
    done = await at(bot, 8, 31)
    assert done.expired == [("S12", 2)]
    assert "2 reminder(s) of S12 dropped: the session started before they could be sent" in caplog.text
    assert sent(bot) == {}
    assert await bot.rows("SELECT DISTINCT state FROM outbox") == [("dropped",)]


async def test_a_session_that_started_while_the_bot_was_down_is_logged_and_not_reminded(bot, caplog):
    await bot.reply_text(ORGANISER, "/reminders 10")
    await at(bot, 8, 15)
    done = await at(bot, 8, 35)  # down from 08:15 to 08:35: the keynote started at 08:30
    assert done.queued == 0 and done.missed == [("S12", KEYNOTE_STARTS, 2)]
    assert "reminders of S12 (started Thu 14 May, 10:30) not sent to 2 people" in caplog.text
    assert sent(bot) == {}


async def test_a_moved_session_is_reminded_at_its_new_time_not_the_old(bot):
    await bot.reply_text(ORGANISER, "/reminders 10")
    bot.clock.now = datetime(2026, 5, 14, 8, 20, tzinfo=UTC)
    assert (await scheduler.check(bot.ctx)).queued == 2  # queued for 10:30; then the agenda moves it to 11:30
    calls = await bot.send_document(ORGANISER, MOVED.encode(), "sessions.csv")
    assert calls[-1].text.startswith("✅ sessions.csv: imported ")
    assert (await at(bot, 8, 21)).moved == [("S12", 2)]
    assert sent(bot) == {}  # nothing at the old time
    for minute in (25, 30, 40):
        assert (await at(bot, 9 if minute == 40 else 8, minute)).queued == 0
    assert (await at(bot, 9, 20)).queued == 2
    assert sent(bot) == {501: [keynote("de", "11:30")], 502: ["⏰ S12 · Keynote starts at 11:30 in Room A."]}


async def test_a_session_moved_after_its_reminder_went_out_is_reminded_again(bot):
    await bot.reply_text(ORGANISER, "/reminders 10")
    await at(bot, 8, 20)
    await bot.send_document(ORGANISER, MOVED.encode(), "sessions.csv")
    assert (await at(bot, 9, 20)).queued == 2
    assert sent(bot)[502] == [
        "⏰ S12 · Keynote starts at 10:30 in Room A.",
        "⏰ S12 · Keynote starts at 11:30 in Room A.",
    ]


async def test_targeted_people_are_reminded_only_when_access_control_admits_them(bot):
    await bot.reply_text(ORGANISER, "/reminders 15")
    assert (await at(bot, 9, 45)).queued == 1  # S13 at 12:00 Paris: A1 registered; A4 only targeted
    assert sorted(sent(bot)) == [501]
    await bot.reply_text(ORGANISER, "/acl include")
    assert "registered and targeted" in await bot.reply_text(ORGANISER, "/reminders")
    assert (await at(bot, 9, 46)).queued == 2  # A2 and A4 (group rust)
    assert sorted(sent(bot)) == [501, 502, 504]
    assert sent(bot)[504] == ["⏰ S13 · Workshop starts at 12:00."]  # no room: no "in"


@pytest.mark.parametrize("value", ["0", "1441", "ten", "-5"])
async def test_a_wrong_number_of_minutes_is_refused(bot, value):
    reply = await bot.reply_text(ORGANISER, f"/reminders {value}")
    assert "1 to 1440" in reply and "/reminders off" in reply
    assert (await reminders.get_setting(bot.ctx)).minutes is None


async def test_off_turns_them_off(bot):
    await bot.reply_text(ORGANISER, "/reminders 10")
    assert "Reminders are off" in await bot.reply_text(ORGANISER, "/reminders off")
    assert (await at(bot, 8, 20)).queued == 0


async def test_the_command_line_twin(tmp_path, monkeypatch, capsys):
    from admin_commands.__main__ import run

    (tmp_path / "s.csv").write_text(SESSIONS)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.db"))
    assert await run(["import", str(tmp_path / "s.csv")]) == 0
    capsys.readouterr()
    assert await run(["reminders"]) == 0
    assert "Reminders are off" in capsys.readouterr().out
    assert await run(["reminders", "10"]) == 0
    assert capsys.readouterr().out.startswith("✅ Reminders: 10 minutes before each session starts")
    assert await run(["reminders", "soon"]) == 1
    err = capsys.readouterr().err
    assert "attendance-admin reminders MINUTES|off" in err and "/reminders" not in err
    assert await run(["reminders", "off"]) == 0
    assert "Reminders are off" in capsys.readouterr().out
