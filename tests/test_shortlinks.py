"""Onsite shortlink QR codes: organiser commands, the ZIP, and attendees tapping them."""

import io
import zipfile

import pytest

from bot.files.qr import decode_qr
from tests.harness import ORGANISER, User

ADA = User(501, "Ada", "ada_l")
BOB = User(502, "Bob")


async def test_create_list_update_remove(event):
    reply = await event.reply_text(ORGANISER, "/shortlink SL001 S1 Welcome to the  keynote!")
    assert "https://t.me/attendance_test_bot?start=SL001" in reply and "Welcome to the  keynote!" in reply
    assert "SL001 → S1" in await event.reply_text(ORGANISER, "/shortlinks")
    reply = await event.reply_text(ORGANISER, "/shortlink SL001 S3")
    assert "SL001 → S3" in reply and "Pop-up: none (the check-in confirmation only)" in reply
    assert await event.rows("SELECT code, session_id, popup FROM shortlinks") == [("SL001", "S3", "")]
    assert "removed" in await event.reply_text(ORGANISER, "/shortlink SL001 off")
    assert await event.rows("SELECT * FROM shortlinks") == []
    assert "There is no shortlink" in await event.reply_text(ORGANISER, "/shortlink SL001 off")


@pytest.mark.parametrize("code", ["XX001", "SL", "SL-01", "SL_01", "SL" + "9" * 63])
async def test_invalid_codes_are_refused(event, code):
    assert "must be SL followed by" in await event.reply_text(ORGANISER, f"/shortlink {code} S1")
    assert await event.rows("SELECT * FROM shortlinks") == []


async def test_unknown_session_and_non_admin(event):
    assert "no session 'S404'" in await event.reply_text(ORGANISER, "/shortlink SL404 S404")
    assert "organisers only" in await event.reply_text(ADA, "/shortlink SL001 S1")
    assert await event.rows("SELECT * FROM shortlinks") == []


async def test_tap_checks_in_with_popup_and_second_tap_is_already_checked_in(event):
    await event.send(ORGANISER, "/shortlink SL001 S1 Enjoy the keynote!")
    reply = await event.reply_text(ADA, "/start SL001")
    # What was recorded and when (10:00 in Paris), then the organiser's message.
    assert reply == (
        "✅ Checked in to S1 · Opening keynote at 10:00. Send the OUT PIN when you leave.\n\nEnjoy the keynote!"
    )
    assert "already checked in" in await event.reply_text(ADA, "/start SL001")
    assert await event.log() == [("REG-1", "S1", "IN", "shortlink", 1, "ok")]


async def test_tap_into_access_controlled_session_by_non_registered(event):
    await event.send(ORGANISER, "/shortlink SL002 S2")
    reply = await event.reply_text(BOB, "/start SL002")
    assert "only open to registered participants" in reply
    assert await event.log() == [("TG-502", "S2", "IN", "shortlink", 0, "not_registered")]
    assert "✅ Checked in to S2 · Workshop: Rust at 10:00" in await event.reply_text(ADA, "/start SL002")


async def test_codes_ignore_case_everywhere(event):
    reply = await event.reply_text(ORGANISER, "/shortlink sl004 S1")
    assert "SL004 → S1" in reply and "start=SL004" in reply
    assert await event.rows("SELECT code FROM shortlinks") == [("SL004",)]
    assert "Checked in to S1" in await event.reply_text(ADA, "/start sl004")
    assert "removed" in await event.reply_text(ORGANISER, "/shortlink Sl004 off")


async def test_an_invite_token_that_starts_with_sl_still_links(event):
    """Invite tokens are random: an older one may start with "sl" without being a shortlink."""
    await event.execute("UPDATE attendees SET invite_token = 'slAbCdEf12345678' WHERE attendee_id = 'REG-2'")
    assert "Welcome, Bob Builder!" in await event.reply_text(BOB, "/start slAbCdEf12345678")
    assert "not (or no longer) active" in await event.reply_text(BOB, "/start sl999")


async def test_unknown_or_removed_code(event):
    assert "not (or no longer) active" in await event.reply_text(ADA, "/start SL999")
    assert await event.log() == []


async def test_qr_zip_decodes_to_each_deep_link(event):
    for code, session in (("SL001", "S1"), ("SL002", "S2"), ("SLHALLB", "S3")):
        await event.send(ORGANISER, f"/shortlink {code} {session}")
    calls = await event.send(ORGANISER, "/shortlinkqr")
    name, data = calls[-1].file()
    assert name == "shortlink-qr-codes.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == ["SL001.png", "SL002.png", "SLHALLB.png"]
        for member in z.namelist():
            code = member.removesuffix(".png")
            assert decode_qr(z.read(member)) == [f"https://t.me/attendance_test_bot?start={code}"]
    calls = await event.send(ORGANISER, "/shortlinkqr SL002")
    with zipfile.ZipFile(io.BytesIO(calls[-1].file()[1])) as z:
        assert z.namelist() == ["SL002.png"]


async def test_each_poster_says_what_to_send_when_the_camera_does_not_open_the_link(event, monkeypatch):
    from bot.files import printables

    jobs = []
    real = printables.poster_pngs
    monkeypatch.setattr(
        printables, "poster_pngs", lambda batch, parallel=None: jobs.extend(batch) or real(batch, False)
    )
    await event.send(ORGANISER, "/shortlink SL001 S1")
    await event.send(ORGANISER, "/shortlinkqr")
    [(link, _title, _room, _when, _event, bot, code)] = jobs
    assert (link, bot, code) == ("https://t.me/attendance_test_bot?start=SL001", "attendance_test_bot", "SL001")
