"""Check-in windows and the event's time zone, as attendees, door staff and organisers meet them.

The event is in Paris (UTC+2 in May). W1 runs 10:00-11:00: by default check-ins
are taken 09:30-11:00 and check-outs until 12:00. W2 has its own window.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import badges
from bot.services.context import StartupRefused
from tests.harness import ORGANISER, BotHarness, User
from tests.images import badge_photo

AGENDA = """session_id,title,starts_at,ends_at,room,pin_in,pin_out,checkin_opens,checkin_closes
W1,Morning talk,2026-05-14 10:00,2026-05-14 11:00,Hall,W1INPIN,W1OUTPIN,,
W2,Breakfast briefing,2026-05-14 09:00,2026-05-14 09:45,Hall,W2INPIN,W2OUTPIN,2026-05-14 08:00,2026-05-14 08:15
"""
ADA = User(501, "Ada", "ada_w")
DOOR = User(502, "Dora", "dora_w")


def paris(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, 14, hour - 2, minute, tzinfo=UTC)


@pytest.fixture
async def event(tmp_path):
    h = await BotHarness(tmp_path, default_windows=True).start()
    calls = await h.send_document(ORGANISER, AGENDA.encode(), "agenda.csv")
    assert calls[-1].text == "✅ agenda.csv: imported 2 sessions."
    yield h
    await h.stop()


async def at(h: BotHarness, moment: datetime, user: User, text: str) -> str:
    h.clock.now = moment
    return await h.reply_text(user, text)


async def test_a_pin_before_the_window_is_refused_saying_when_it_opens(event):
    reply = await at(event, paris(9, 10), ADA, "W1INPIN")
    assert reply == "⏳ Too early: attendance for W1 · Morning talk opens at 09:30. Please try again then."
    assert await event.log() == [("TG-501", "W1", "IN", "pin", 0, "too_early")]


async def test_too_early_is_not_a_wrong_pin(event):
    """Only unknown PINs count toward the attempt limit: a right PIN sent early is not guessing."""
    for _ in range(6):
        assert "Too early" in await at(event, paris(9, 0), ADA, "W1INPIN")
    assert "Checked in" in await at(event, paris(9, 30), ADA, "W1INPIN")


async def test_inside_the_window_both_ends_count(event):
    assert "✅ Checked in to W1 · Morning talk at 09:30" in await at(event, paris(9, 30), ADA, "W1INPIN")
    bob = User(503, "Bob")
    assert "Checked in" in await at(event, paris(11, 0), bob, "W1INPIN")


async def test_after_the_window_check_in_is_closed(event):
    reply = await at(event, paris(11, 1), ADA, "W1INPIN")
    assert reply.startswith("⌛ Attendance for W1 · Morning talk closed at 11:00, so nothing was recorded.")
    assert await event.log() == [("TG-501", "W1", "IN", "pin", 0, "closed")]
    assert await event.rows("SELECT COUNT(*) FROM presence") == [(0,)]


async def test_check_out_has_an_hour_of_grace_after_the_end(event):
    await at(event, paris(10, 0), ADA, "W1INPIN")
    assert "👋 Checked out of W1 · Morning talk at 12:00" in await at(event, paris(12, 0), ADA, "W1OUTPIN")
    bob = User(503, "Bob")
    await at(event, paris(10, 0), bob, "W1INPIN")
    assert "closed at 12:00" in await at(event, paris(12, 1), bob, "W1OUTPIN")
    assert await event.rows("SELECT attendee_id, inside FROM presence ORDER BY 1") == [("TG-501", 0), ("TG-503", 1)]


async def test_a_sessions_own_window_replaces_the_default(event):
    # W2 starts at 09:00, but its own window is 08:00-08:15.
    assert "Checked in" in await at(event, paris(8, 0), ADA, "W2INPIN")
    assert "closed at 08:15" in await at(event, paris(8, 40), User(503, "Bob"), "W2INPIN")
    # A window on another day names the day.
    assert "opens at Thu 14 May, 08:00" in await at(event, datetime(2026, 5, 13, 18, 0, tzinfo=UTC), ADA, "W2OUTPIN")


async def test_the_organiser_changes_the_event_wide_window(event):
    reply = await at(event, paris(8, 0), ORGANISER, "/checkinwindow")
    assert "check-ins from 30 min before the start until 0 min after the end" in reply
    assert "check-outs until 60 min after the end" in reply
    assert "is not a number of minutes" in await event.reply_text(ORGANISER, "/checkinwindow soon 0")
    assert "✅ Check-in windows" in await event.reply_text(ORGANISER, "/checkinwindow 60 15")
    assert "Checked in" in await at(event, paris(9, 0), ADA, "W1INPIN")
    assert "Checked in" in await at(event, paris(11, 15), User(503, "Bob"), "W1INPIN")


async def test_a_shortlink_outside_the_window_is_refused_too(event):
    await event.send(ORGANISER, "/shortlink SL7 W1 Welcome!")
    reply = await at(event, paris(8, 0), ADA, "/start SL7")
    assert reply == "⏳ Too early: attendance for W1 · Morning talk opens at 09:30. Please try again then."
    assert await event.rows("SELECT reason, method FROM attendance_log") == [("too_early", "shortlink")]


async def test_a_scanner_admits_anyway_after_check_in_closed(event):
    await event.send(DOOR, "/start")
    await event.send(ORGANISER, "/scanner @dora_w W1")
    await event.send(DOOR, "/scan W1")
    await at(event, paris(8, 0), ADA, "/start")  # Ada becomes a walk-in attendee, TG-501
    code = badges.make_token(event.ctx.badge_secret, "TG-501", 1)
    event.clock.now = paris(11, 30)
    calls = await event.send_photo(DOOR, badge_photo(code, seed=3))
    assert calls[-1].text.startswith("🔴 RED — check-in closed at 11:00")
    label, data = calls[-1].buttons[0]
    assert label == "Admit anyway"
    calls = await event.press(DOOR, data)
    assert "GREEN" in calls[-1].text and "admitted anyway" in calls[-1].text
    assert await event.rows("SELECT reason, accepted, override FROM attendance_log ORDER BY id") == [
        ("closed", 0, 0),
        ("ok", 1, 1),
    ]


async def test_changing_the_time_zone_keeps_wall_clock_times(event):
    reply = await event.reply_text(ORGANISER, "/timezone")
    assert "This event's time zone is Europe/Paris" in reply
    assert "not an IANA time zone" in await event.reply_text(ORGANISER, "/timezone Mars/Olympus")
    reply = await event.reply_text(ORGANISER, "/timezone Europe/London")
    assert reply.startswith("✅ Time zone changed from Europe/Paris to Europe/London. 2 sessions keep")
    # 10:00 stays 10:00, now London time (UTC+1): 09:00 UTC.
    assert await event.rows("SELECT starts_at, checkin_opens FROM sessions ORDER BY session_id") == [
        ("2026-05-14T09:00:00.000000Z", None),
        ("2026-05-14T08:00:00.000000Z", "2026-05-14T07:00:00.000000Z"),
    ]
    assert "Europe/London" in await event.reply_text(ORGANISER, "/timezone")


async def test_a_start_with_another_time_zone_is_refused(tmp_path):
    first = await BotHarness(tmp_path, EVENT_TIMEZONE="Europe/Paris").start()
    await first.stop()
    with pytest.raises(StartupRefused, match="keeps time zone Europe/Paris, but EVENT_TIMEZONE is Asia/Tokyo"):
        await BotHarness(tmp_path, EVENT_TIMEZONE="Asia/Tokyo").start()
    # Without EVENT_TIMEZONE the event's own zone is used.
    again = await BotHarness(tmp_path, EVENT_TIMEZONE="").start()
    assert again.ctx.timezone.key == "Europe/Paris"
    await again.stop()


async def test_the_command_line_refuses_another_time_zone_and_reads_the_events(tmp_path, monkeypatch, capsys):
    from admin_commands.__main__ import run

    h = await BotHarness(tmp_path).start()
    await h.send_document(ORGANISER, AGENDA.encode(), "agenda.csv")
    await h.stop()
    monkeypatch.setenv("DATABASE_PATH", h.env["DATABASE_PATH"])
    monkeypatch.setenv("EVENT_TIMEZONE", "America/New_York")
    assert await run(["pins"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "keeps time zone Europe/Paris, but EVENT_TIMEZONE is America/New_York" in err
    # The refusal's own advice works: the timezone command puts the event right.
    assert await run(["timezone", "America/New_York"]) == 0
    assert "Time zone changed from Europe/Paris to America/New_York" in capsys.readouterr().out
    assert await run(["pins"]) == 0
    monkeypatch.delenv("EVENT_TIMEZONE")
    assert await run(["timezone"]) == 0
    assert "America/New_York" in capsys.readouterr().out


async def test_a_refusal_answered_again_after_a_restart_still_says_when(event):
    """An update handled again (its done-mark lost in a crash) is answered from the log, times included."""
    event.clock.now = paris(9, 10)
    payload = event._message(ADA, text="W1INPIN")
    await event.deliver(payload)
    await event.execute("UPDATE updates SET done_at = NULL WHERE update_id = ?", (payload["update_id"],))
    event.api.calls.clear()
    await event.processor.resume_pending()
    await event.processor.drain()
    again = [c.text for c in event.api.sent("sendMessage")]
    assert again == ["⏳ Too early: attendance for W1 · Morning talk opens at 09:30. Please try again then."]
    assert await event.rows("SELECT COUNT(*) FROM attendance_log") == [(1,)]


@pytest.mark.parametrize("zone", ["Europe", "Mars/Olympus", "../etc"])
async def test_a_zone_that_is_not_one_is_refused(event, zone):
    assert "is not an IANA time zone name" in await event.reply_text(ORGANISER, f"/timezone {zone}")
    assert event.ctx.timezone.key == "Europe/Paris"


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "-5", "10081"])
async def test_window_minutes_must_be_plain_numbers(event, value):
    reply = await event.reply_text(ORGANISER, f"/checkinwindow 30 {value}")
    assert "is not a number of minutes (0 to 10080)" in reply
    assert "check-ins from 30 min before the start until 0 min after" in await event.reply_text(
        ORGANISER, "/checkinwindow"
    )


async def test_a_window_that_could_never_open_is_refused_at_import(event):
    agenda = (
        "session_id,title,starts_at,ends_at,checkin_closes\n"
        "W3,Late,2026-05-14 10:00,2026-05-14 11:00,2026-05-14 09:00\n"  # closes before the default opening
    )
    calls = await event.send_document(ORGANISER, agenda.encode(), "late.csv")
    assert "Row 2: check-in would never be open: it would open at 2026-05-14 09:30 and close at 09:00" in calls[-1].text
    assert await event.rows("SELECT COUNT(*) FROM sessions WHERE session_id = 'W3'") == [(0,)]


async def test_a_file_with_one_window_column_keeps_the_other(event):
    only_closes = (
        "session_id,title,starts_at,ends_at,checkin_closes\n"
        "W2,Breakfast briefing,2026-05-14 09:00,2026-05-14 09:45,2026-05-14 08:30\n"
    )
    calls = await event.send_document(ORGANISER, only_closes.encode(), "w2.csv")
    assert calls[-1].text == "✅ w2.csv: imported 1 session."
    assert await event.rows("SELECT checkin_opens, checkin_closes FROM sessions WHERE session_id = 'W2'") == [
        ("2026-05-14T06:00:00.000000Z", "2026-05-14T06:30:00.000000Z")
    ]
