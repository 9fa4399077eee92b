"""Check-in and check-out by PIN through the real bot: every reason code a PIN
can produce, with the reply the attendee sees and the log row it leaves."""

from tests.harness import User

ADA = User(501, "Ada", "ada_l")  # REG-1: registered for S1 and S2 (auto-linked by @ada_l)
BOB = User(502, "Bob")  # walk-in (open registration)


async def test_check_in_then_out(event):
    assert "✅ Checked in to S1 · Opening keynote at 10:00" in await event.reply_text(ADA, "key1in")
    event.clock.advance(minutes=45)
    assert "Checked out of S1 · Opening keynote at 10:45" in await event.reply_text(ADA, " Key1Out ")
    assert await event.log() == [("REG-1", "S1", "IN", "pin", 1, "ok"), ("REG-1", "S1", "OUT", "pin", 1, "ok")]


async def test_already_checked_in_writes_no_row(event):
    await event.reply_text(ADA, "KEY1IN")
    event.clock.advance(minutes=5)
    reply = await event.reply_text(ADA, "KEY1IN")
    assert "already checked in" in reply and "since 10:00" in reply
    assert len(await event.log()) == 1


async def test_already_checked_out_writes_no_row(event):
    await event.reply_text(ADA, "KEY1IN")
    await event.reply_text(ADA, "KEY1OUT")
    assert "already checked out" in await event.reply_text(ADA, "KEY1OUT")
    assert len(await event.log()) == 2


async def test_check_out_without_check_in_is_recorded_and_flagged(event):
    reply = await event.reply_text(ADA, "KEY1OUT")
    assert "Checked out" in reply and "no check-in" in reply
    assert await event.log() == [("REG-1", "S1", "OUT", "pin", 1, "checked_out_without_check_in")]


async def test_unknown_pin(event):
    assert "doesn't match any session" in await event.reply_text(ADA, "NOPE99")
    assert await event.log() == [("REG-1", None, "IN", "pin", 0, "unknown_pin")]


async def test_too_many_wrong_pins_locks_every_pin_until_the_window_passes(event):
    for i in range(5):
        event.clock.advance(seconds=30)
        assert "doesn't match" in await event.reply_text(ADA, f"WRONG{i}")
    reply = await event.reply_text(ADA, "KEY1IN")  # the right PIN is refused too
    assert (
        "Too many wrong PINs" in reply and "until 10:10" in reply
    )  # first wrong PIN at 10:00:30 Paris, plus 10 minutes
    log = await event.log()
    assert log[-1] == ("REG-1", None, "IN", "pin", 0, "too_many_attempts")
    event.clock.advance(minutes=10)
    assert "Checked in" in await event.reply_text(ADA, "KEY1IN")
    # Another attendee was never affected.
    assert "doesn't match" in await event.reply_text(BOB, "WRONG9")


async def test_not_registered_for_access_controlled_session(event):
    reply = await event.reply_text(BOB, "RUST2IN")
    assert "only open to registered participants" in reply
    assert await event.log() == [("TG-502", "S2", "IN", "pin", 0, "not_registered")]


async def test_targeted_attendee_allowed_only_in_include_mode(event):
    cleo = User(333, "Cleo")  # REG-3, in group track-rust, S2 targets track-rust, not registered
    assert "only open to registered" in await event.reply_text(cleo, "RUST2IN")
    await event.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('acl_mode', 'include')")
    assert "Checked in to S2" in await event.reply_text(cleo, "RUST2IN")


async def test_session_full(event):
    await event.execute("UPDATE sessions SET capacity = 1 WHERE session_id = 'S1'")
    assert "Checked in" in await event.reply_text(ADA, "KEY1IN")
    assert "is full" in await event.reply_text(BOB, "KEY1IN")
    # Once someone leaves there is room again.
    await event.reply_text(ADA, "KEY1OUT")
    assert "Checked in" in await event.reply_text(BOB, "KEY1IN")
    assert [row[5] for row in await event.log()] == ["ok", "session_full", "ok", "ok"]


async def test_text_that_is_not_a_pin_gets_guidance_and_no_row(event):
    assert "send the session PIN" in await event.reply_text(ADA, "hello there, where is room B?")
    assert await event.log() == []


async def test_closed_registration_refuses_strangers(tmp_path):
    from tests.harness import BotHarness

    h = await BotHarness(tmp_path, OPEN_REGISTRATION="false").start()
    try:
        stranger = User(999, "Eve")
        assert "don't have you on this event's list" in await h.reply_text(stranger, "/start")
        assert "don't have you on this event's list" in await h.reply_text(stranger, "ABCD12")
        assert await h.log() == []
        assert await h.rows("SELECT * FROM attendees") == []
    finally:
        await h.stop()


async def test_my_attendance_newest_first_in_event_time(event):
    await event.reply_text(ADA, "KEY1IN")
    event.clock.advance(minutes=50)
    await event.reply_text(ADA, "KEY1OUT")
    text = await event.reply_text(ADA, "/myattendance")
    assert text.index("10:50 — out") < text.index("10:00 — in")


async def test_redelivered_update_is_counted_once(event):
    payload = event._message(ADA, text="KEY1IN")
    first = await event.deliver(payload)
    # Telegram redelivers the same update (e.g. after a crash before it was marked done).
    await event.execute("UPDATE updates SET done_at = NULL WHERE update_id = ?", (payload["update_id"],))
    await event.processor.resume_pending()
    await event.processor.drain()
    assert "Checked in" in first[-1].text
    assert "Checked in" in event.api.calls[-1].text  # the attendee is answered again, same verdict
    assert len(await event.log()) == 1
