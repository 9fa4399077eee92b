"""Door scanning through the real bot with generated badge photos."""

import io
import zipfile

import pytest

from bot import chat_texts
from bot.domain import badges
from tests.harness import ORGANISER, User
from tests.images import badge_photo, two_badges_photo

DOOR = User(700, "Dora", "dora_door")
ADA = User(501, "Ada", "ada_l")  # REG-1, registered S1 and S2
CLEO = User(333, "Cleo")  # REG-3, not registered for S2


def token(h, attendee_id: str, version: int = 1) -> str:
    return badges.make_token(h.ctx.badge_secret, attendee_id, version)


@pytest.fixture
async def door(event):
    await event.reply_text(DOOR, "/start")
    assert "✅" in await event.reply_text(ORGANISER, "/scanner @dora_door S1 S2")
    return event


async def test_scanner_picks_session_from_keyboard_and_choice_is_kept(door):
    calls = await door.send(DOOR, "/scan")
    assert [label for label, _ in calls[-1].buttons] == ["S1 · Opening keynote", "S2 · Workshop: Rust"]
    calls = await door.press(DOOR, "scan:S2")
    assert "Scanning for S2" in calls[-1].text
    assert await door.rows("SELECT current_session_id FROM scanners WHERE user_id = ?", (DOOR.id,)) == [("S2",)]


async def test_green_from_rotated_blurred_jpeg_photo(door):
    await door.send(DOOR, "/scan S1")
    photo = badge_photo(token(door, "REG-1"), seed=3, rotate=25, blur=1.2, jpeg_quality=55)
    calls = await door.send_photo(DOOR, photo)
    assert "🟢 GREEN" in calls[-1].text and "Ada Lovelace (REG-1)" in calls[-1].text
    assert "Registered" not in calls[-1].text and "Targeted" not in calls[-1].text  # S1 is open to everyone
    assert calls[-1].buttons[0][0] == "Undo"
    assert await door.rows("SELECT attendee_id, session_id, method, scanner_user_id, accepted FROM attendance_log") == [
        ("REG-1", "S1", "scan", DOOR.id, 1)
    ]


async def test_registration_is_shown_where_access_control_asks_for_it(door):
    await door.send(DOOR, "/scan S2")
    calls = await door.send(DOOR, "REG-1")  # registered for the workshop and in its track
    assert "🟢 GREEN" in calls[-1].text and "Registered: yes · Targeted: yes" in calls[-1].text
    calls = await door.send(DOOR, "REG-1")
    assert calls[-1].text.startswith("🟡 Already checked in since 10:00")
    assert "Registered: yes · Targeted: yes" in calls[-1].text


async def test_two_badges_in_one_photo_sent_as_a_file(door):
    await door.send(DOOR, "/scan S1")
    photo = two_badges_photo(token(door, "REG-1"), token(door, "REG-2"), seed=5)
    calls = await door.send_document(DOOR, photo, "door.jpg", mime="image/jpeg")
    verdicts = [c.text for c in calls if c.method == "sendMessage"]
    assert len(verdicts) == 2 and all("GREEN" in v for v in verdicts)
    assert sorted(r[0] for r in await door.rows("SELECT attendee_id FROM attendance_log")) == ["REG-1", "REG-2"]


async def test_not_registered_red_then_admit_anyway(door):
    calls = await door.send(DOOR, "/access S1 on")  # the door scanner is not an admin: refused
    assert calls[-1].text == chat_texts.ADMIN_ONLY
    assert await door.rows("SELECT access_control FROM sessions WHERE session_id = 'S1'") == [(0,)]
    await door.send(ORGANISER, "/access S1 on")
    await door.send(DOOR, "/scan S1")
    calls = await door.send_photo(DOOR, badge_photo(token(door, "REG-3"), seed=7))
    assert "🔴 RED — not registered" in calls[-1].text
    label, data = calls[-1].buttons[0]
    assert label == "Admit anyway"
    calls = await door.press(DOOR, data)
    assert "GREEN" in calls[-1].text and "admitted anyway" in calls[-1].text
    assert await door.rows("SELECT reason, accepted, override, scanner_user_id FROM attendance_log ORDER BY id") == [
        ("not_registered", 0, 0, DOOR.id),
        ("ok", 1, 1, DOOR.id),
    ]
    # The same button twice does not admit twice.
    await door.press(DOOR, data)
    assert len(await door.rows("SELECT * FROM attendance_log")) == 2


async def test_session_full_red_with_places(door):
    await door.send(ORGANISER, "/capacity S1 1")
    await door.send(DOOR, "/scan S1")
    await door.send(DOOR, "REG-1")  # typed attendee id: manual
    calls = await door.send(DOOR, "REG-2")
    assert "🔴 RED — session full" in calls[-1].text and "Inside now: 1 / 1 (0 places left)" in calls[-1].text
    assert await door.rows("SELECT method, reason FROM attendance_log ORDER BY id") == [
        ("manual", "ok"),
        ("manual", "session_full"),
    ]


async def test_undo_within_15_minutes_only_by_the_same_scanner(door):
    await door.send(DOOR, "/scan S1")
    calls = await door.send(DOOR, token(door, "REG-1"))
    undo = calls[-1].buttons[0][1]
    other = User(701, "Other", "other_door")
    await door.reply_text(other, "/start")
    await door.send(ORGANISER, "/scanner 701 all")
    await door.press(other, undo)
    assert len(await door.rows("SELECT * FROM attendance_log")) == 1
    calls = await door.press(DOOR, undo)
    assert "Undone" in calls[-1].text
    assert await door.rows("SELECT direction, ref_id IS NOT NULL FROM attendance_log ORDER BY id") == [
        ("IN", 0),
        ("UNDO", 1),
    ]
    assert await door.rows("SELECT * FROM presence") == []
    # Checked in again, then too late to undo.
    calls = await door.send(DOOR, token(door, "REG-1"))
    door.clock.advance(minutes=16)
    await door.press(DOOR, calls[-1].buttons[0][1])
    assert (await door.rows("SELECT COUNT(*) FROM attendance_log WHERE direction = 'UNDO'")) == [(1,)]


async def test_scanner_not_permitted_for_other_session(door):
    assert "may not scan" in await door.reply_text(DOOR, "/scan S3")
    # Permission is rechecked at every scan: removed after choosing a session.
    await door.send(DOOR, "/scan S1")
    await door.send(ORGANISER, "/scanner @dora_door S2")
    calls = await door.send(DOOR, token(door, "REG-1"))
    assert "may not scan for that session" in calls[-1].text
    assert await door.rows("SELECT attendee_id, session_id, reason, scanner_user_id FROM attendance_log") == [
        ("REG-1", "S1", "scanner_not_permitted", DOOR.id)
    ]


async def test_forged_and_revoked_codes(door):
    await door.send(DOOR, "/scan S1")
    forged = token(door, "REG-1")[:-1] + ("A" if token(door, "REG-1")[-1] != "A" else "B")
    assert "invalid code" in (await door.send(DOOR, forged))[-1].text
    assert "invalid code" in (await door.send(DOOR, "https://example.org/not-a-badge"))[-1].text
    reply = await door.reply_text(ORGANISER, "/reissuebadge REG-1")
    assert "old one is revoked" in reply
    assert "revoked badge" in (await door.send(DOOR, token(door, "REG-1", 1)))[-1].text
    assert "GREEN" in (await door.send(DOOR, token(door, "REG-1", 2)))[-1].text
    assert await door.rows("SELECT attendee_id, reason FROM attendance_log ORDER BY id") == [
        (None, "invalid_code"),
        (None, "invalid_code"),
        ("REG-1", "revoked"),
        ("REG-1", "ok"),
    ]


async def test_photo_without_code_gets_advice(door):
    from PIL import Image

    await door.send(DOOR, "/scan S1")
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), "gray").save(buf, "JPEG")
    calls = await door.send_photo(DOOR, buf.getvalue())
    assert "couldn't find a readable QR code" in calls[-1].text and "as a file" in calls[-1].text


async def test_non_scanner_photo_gets_a_polite_answer(event):
    calls = await event.send_photo(ADA, badge_photo(token(event, "REG-1"), seed=1))
    assert "can't use photos here" in calls[-1].text
    assert [c.method for c in calls] == ["sendMessage"]  # the photo was not even downloaded (no getFile)
    assert await event.log() == []
    assert "not a door scanner" in await event.reply_text(ADA, "/scan")


async def test_attendee_badge_image_decodes_to_their_token(event):
    from bot.files.qr import decode_qr

    calls = await event.send(ADA, "/badge")
    photo = calls[-1]
    assert photo.method == "sendPhoto"
    _, png = photo.file()
    assert decode_qr(png) == [token(event, "REG-1")]


async def test_badges_zip_for_printing(event):
    from bot.files.qr import decode_qr

    calls = await event.send(ORGANISER, "/badges")
    _name, data = calls[-1].file()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = sorted(z.namelist())
        assert names == ["badge-REG-1.png", "badge-REG-2.png", "badge-REG-3.png"]
        assert decode_qr(z.read("badge-REG-2.png")) == [token(event, "REG-2")]


async def test_scanners_list_and_off(door):
    assert f"• Dora (@dora_door) [{DOOR.id}]: S1, S2" in await door.reply_text(ORGANISER, "/scanners")
    assert "no longer a scanner" in await door.reply_text(ORGANISER, "/scanner @dora_door off")
    assert "not a door scanner" in await door.reply_text(DOOR, "/scan")
    assert "has not written to the bot" in await door.reply_text(ORGANISER, "/scanner @nobody_here all")


async def test_scan_offers_the_mini_app_when_there_is_a_public_url(tmp_path):
    from tests.conftest import SESSIONS_CSV
    from tests.harness import BotHarness

    h = await BotHarness(tmp_path, PUBLIC_URL="https://door.example.org").start()
    try:
        await h.send_document(ORGANISER, SESSIONS_CSV.encode(), "s.csv")
        await h.send(DOOR, "/start")
        await h.send(ORGANISER, "/scanner @dora_door S1")
        calls = await h.send(DOOR, "/scan")
        first = calls[-1].params["reply_markup"]["inline_keyboard"][0][0]
        assert first["text"] == chat_texts.OPEN_SCANNER
        assert first["web_app"] == {"url": "https://door.example.org/miniapp/scanner/"}
    finally:
        await h.stop()


async def test_scan_has_no_mini_app_button_without_a_public_url(door):
    calls = await door.send(DOOR, "/scan")
    rows = calls[-1].params["reply_markup"]["inline_keyboard"]
    assert all("web_app" not in button for row in rows for button in row)
