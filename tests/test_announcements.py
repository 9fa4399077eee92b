"""Announcements: /announce previews, Send queues one message per recipient through the outbox,
the progress message is edited in place, /mute keeps them away; and the command-line twin."""

from __future__ import annotations

import logging
import time

import pytest

from bot import chat_texts
from bot.handlers.announce import progress_reporter
from bot.telegram.outbox import OutboxSender
from tests.harness import ORGANISER, BotHarness, User

ADA = User(501, "Ada", "ada_l")  # REG-1: registered for S1 and S2 (group track-rust)
BOB = User(502, "Bob")  # REG-2: registered for S1, linked below
CLEO = User(333, "Cleo")  # REG-3: registered for nothing, in group track-rust (targeted by S2)
STRANGER = User(9_000_001, "Mallory", "mallory")


@pytest.fixture
async def crowd(event):
    """Ada, Bob and Cleo linked; Ada and Cleo checked in to S1."""
    h = event
    progress_reporter(h.app, h.ctx).every = 0.0  # no waiting between edits (one test sets a throttle)
    for user in (ADA, CLEO):
        await h.send(user, "/start")
    await h.execute("UPDATE attendees SET telegram_user_id = ? WHERE attendee_id = 'REG-2'", (BOB.id,))
    await h.send(ADA, "KEY1IN")
    await h.send(CLEO, "KEY1IN")
    assert await h.rows("SELECT attendee_id FROM presence WHERE session_id = 'S1' AND inside = 1 ORDER BY 1") == [
        ("REG-1",),
        ("REG-3",),
    ]
    return h


def sender_of(h: BotHarness):
    """The outbox sender as the bot runs it: kept in bot_data, where the announcements find it."""
    sender = h.app.bot_data["outbox"] = OutboxSender(h.app, h.ctx)
    reporter = progress_reporter(h.app, h.ctx)
    assert sender.observers == [reporter]
    return sender, reporter


async def deliver_all(h: BotHarness) -> None:
    sender, reporter = sender_of(h)
    while await sender.send_due():
        pass
    await reporter.settled()


async def announce(h: BotHarness, text: str) -> tuple[str, dict[str, str]]:
    """Send an /announce; the preview's text and its buttons."""
    calls = await h.send(ORGANISER, text)
    return calls[-1].text, dict(calls[-1].buttons)


def received(h: BotHarness) -> dict[int, str]:
    """The announcements attendees got (not the bot's replies to them)."""
    return {c.chat_id: c.text for c in h.api.sent("sendMessage") if c.chat_id != ORGANISER.id and c.text[:1] == "📣"}


@pytest.mark.parametrize(
    ("command", "acl", "count"),
    [
        ("/announce S1 inside Coffee is served", "exclude", 2),  # Ada, Cleo
        ("/announce S1 registered Coffee is served", "exclude", 2),  # Ada, Bob
        ("/announce S1 all Coffee is served", "exclude", 3),
        ("/announce S2 registered Room change", "exclude", 1),  # Ada
        ("/announce S2 registered Room change", "include", 2),  # Ada, and Cleo by her group
        ("/announce S2 all Room change", "include", 2),
        ("/announce S2 inside Room change", "include", 0),
        ("/announce everyone Free drinks", "exclude", 3),
    ],
)
async def test_the_preview_counts_exactly_whom_it_reaches_and_queues_nothing(crowd, command, acl, count):
    h = crowd
    await h.send(ORGANISER, f"/acl {acl}")
    text, buttons = await announce(h, command)
    if count == 0:
        assert "Nobody would get this announcement" in text and not buttons
    else:
        noun = "person" if count == 1 else "people"
        assert text.startswith(f"Send this announcement to {count} {noun} ("), text
        assert list(buttons) == ["Send", "Cancel"]
    assert await h.rows("SELECT count(*) FROM outbox") == [(0,)]
    assert await h.rows("SELECT count(*) FROM broadcasts") == [(0,)]


async def test_send_queues_one_message_each_and_the_progress_ends_in_a_summary(crowd, caplog):
    h = crowd
    caplog.set_level(logging.INFO)
    text, buttons = await announce(h, "/announce S1 all The talk starts\n10 minutes late.")
    assert "📣 From the organisers · S1 Opening keynote\n\nThe talk starts\n10 minutes late." in text
    await h.press(ORGANISER, buttons["Send"])
    assert await h.rows("SELECT state, audience, session_id, created_by FROM broadcasts") == [
        ("sending", "all", "S1", ORGANISER.id)
    ]
    assert "queued: 3 message(s) to session S1 all" in caplog.text
    await deliver_all(h)
    messages = received(h)
    assert set(messages) == {ADA.id, BOB.id, CLEO.id}
    assert set(messages.values()) == {
        "📣 From the organisers · S1 Opening keynote\n\nThe talk starts\n10 minutes late."
    }
    edits = h.api.sent("editMessageText")
    assert edits and all(e.chat_id == ORGANISER.id for e in edits)
    assert edits[-1].text == "📣 Announcement sent.\n3 sent · 0 waiting · 0 blocked · 0 failed · 0 unknown"
    assert "broadcast 1 finished: sent 3" in caplog.text


async def test_cancel_queues_nothing_and_a_button_works_once(crowd):
    h = crowd
    _text, buttons = await announce(h, "/announce everyone Free drinks")
    calls = await h.press(ORGANISER, buttons["Cancel"])
    assert calls[-1].text == "Cancelled: nothing was sent."
    calls = await h.press(ORGANISER, buttons["Send"])
    assert calls[-1].text == chat_texts.BUTTON_EXPIRED
    assert await h.rows("SELECT count(*) FROM outbox") == [(0,)]


async def test_a_non_organiser_is_refused_and_logged(crowd, caplog):
    h = crowd
    caplog.set_level(logging.WARNING)
    calls = await h.send(ADA, "/announce everyone Free drinks for all")
    assert [c.text for c in calls] == [chat_texts.ADMIN_ONLY]
    assert "refused admin action '/announce everyone Free drinks for" in caplog.text
    _text, buttons = await announce(h, "/announce everyone Free drinks")
    calls = await h.press(ADA, buttons["Send"])  # someone else's button
    assert calls[-1].params.get("text") == chat_texts.ADMIN_ONLY
    assert await h.rows("SELECT count(*) FROM outbox") == [(0,)]


async def test_a_muted_person_gets_nothing_until_mute_off(crowd):
    h = crowd
    reply = await h.reply_text(BOB, "/mute")
    assert "No more announcements or reminders" in reply
    text, buttons = await announce(h, "/announce everyone Free drinks")
    assert text.startswith("Send this announcement to 2 people (every attendee on Telegram)?")
    assert "1 other person turned announcements off with /mute" in text
    await h.press(ORGANISER, buttons["Send"])
    await deliver_all(h)
    assert set(received(h)) == {ADA.id, CLEO.id}
    assert "on again" in await h.reply_text(BOB, "/mute off")
    text, buttons = await announce(h, "/announce everyone Last call")
    assert text.startswith("Send this announcement to 3 people")
    await h.press(ORGANISER, buttons["Send"])
    await deliver_all(h)
    assert [c.chat_id for c in h.api.sent("sendMessage") if c.text.endswith("Last call")].count(BOB.id) == 1


async def test_a_reply_to_a_photo_sends_the_photo_with_the_text_as_caption(crowd):
    h = crowd
    photo = {
        "message_id": 77,
        "date": int(time.time()),
        "chat": {"id": ORGANISER.id, "type": "private"},
        "from": ORGANISER.as_dict(),
        "photo": [
            {"file_id": "SMALL", "file_unique_id": "s", "width": 90, "height": 67},
            {"file_id": "FLOORPLAN", "file_unique_id": "f", "width": 1280, "height": 960},
        ],
    }
    text = "/announce S1 registered The new room"
    payload = h._message(ORGANISER, text=text, entities=[{"type": "bot_command", "offset": 0, "length": 9}])
    payload["message"]["reply_to_message"] = photo
    calls = await h.deliver(payload)
    assert "With the photo you replied to" in calls[-1].text
    await h.press(ORGANISER, dict(calls[-1].buttons)["Send"])
    await deliver_all(h)
    photos = h.api.sent("sendPhoto")
    assert sorted(c.chat_id for c in photos) == [ADA.id, BOB.id]
    assert {c.params["photo"] for c in photos} == {"FLOORPLAN"}
    assert {c.params["caption"] for c in photos} == {"📣 From the organisers · S1 Opening keynote\n\nThe new room"}
    assert received(h) == {}


async def test_an_over_long_text_is_refused_in_one_line(crowd):
    h = crowd
    reply = await h.reply_text(ORGANISER, "/announce everyone " + "x" * 4090)
    assert reply.startswith("Not sent: the text has 4090 characters and at most ") and "\n" not in reply
    assert await h.rows("SELECT count(*) FROM confirmations") == [(0,)]


async def test_each_attendee_reads_the_heading_in_their_language_and_the_text_as_written(crowd):
    h = crowd
    h.ctx.event_name = "RustConf"
    await h.send(ADA, "/language de")
    await h.send(CLEO, "/language fr")
    _text, buttons = await announce(h, "/announce S1 inside Coffee is served")
    await h.press(ORGANISER, buttons["Send"])
    await deliver_all(h)
    messages = received(h)
    assert messages[ADA.id] == "📣 Von den Veranstaltern von RustConf · S1 Opening keynote\n\nCoffee is served"
    assert messages[CLEO.id].endswith("RustConf · S1 Opening keynote\n\nCoffee is served")
    assert messages[CLEO.id].startswith("📣 ") and "organisers" not in messages[CLEO.id]


async def test_announce_stop_cancels_what_is_not_yet_sent(crowd):
    h = crowd
    _text, buttons = await announce(h, "/announce everyone Free drinks")
    await h.press(ORGANISER, buttons["Send"])
    calls = await h.send(ORGANISER, "/announce stop")
    assert [c.text for c in calls if c.method == "sendMessage"] == ["⏹ Stopped: 3 messages were not sent."]
    await deliver_all(h)
    assert received(h) == {}
    assert await h.rows("SELECT state FROM broadcasts") == [("stopped",)]
    assert h.api.sent("editMessageText")[-1].text.startswith("📣 Announcement stopped.")
    assert await h.reply_text(ORGANISER, "/announce stop") == "No announcement of yours is being sent."


async def test_a_recipient_who_blocked_the_bot_is_counted_as_blocked(crowd):
    h = crowd
    _text, buttons = await announce(h, "/announce S1 registered Coffee")
    await h.press(ORGANISER, buttons["Send"])
    h.api.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    await deliver_all(h)
    summary = h.api.sent("editMessageText")[-1].text
    assert summary == "📣 Announcement sent.\n1 sent · 0 waiting · 1 blocked · 0 failed · 0 unknown"


async def test_progress_edits_are_throttled(crowd):
    h = crowd
    _text, buttons = await announce(h, "/announce everyone Free drinks")
    await h.press(ORGANISER, buttons["Send"])
    sender, reporter = sender_of(h)
    reporter.every = 0.3
    while await sender.send_due():
        pass
    await reporter.settled()
    edits = h.api.sent("editMessageText")
    assert len(edits) == 2  # the first news at once, then one edit for everything after it: the summary
    assert edits[-1].text.startswith("📣 Announcement sent.\n3 sent")


async def test_the_command_line_queues_for_the_running_bot(crowd, monkeypatch, capsys):
    from admin_commands.__main__ import run

    h = crowd
    monkeypatch.setenv("DATABASE_PATH", str(h.settings.database_path))
    monkeypatch.setenv("EVENT_TIMEZONE", "Europe/Paris")
    monkeypatch.setenv("BOT_USERNAME", "event_bot")
    assert await run(["announce", "S1", "inside", "--text", "Doors close soon"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("Send this announcement to 2 people (checked in to S1 Opening keynote now)?")
    assert "--yes" in out.err
    assert await h.rows("SELECT count(*) FROM outbox") == [(0,)]
    assert await run(["announce", "S1", "inside", "--text", "Doors close soon", "--yes"]) == 0
    assert "queued for 2 people" in capsys.readouterr().out
    await deliver_all(h)  # the bot's sender finds it on its next look at the table
    assert set(received(h)) == {ADA.id, CLEO.id}
    assert await h.rows("SELECT created_by, state FROM broadcasts") == [(None, "done")]


async def test_usage_and_a_wrong_audience(crowd):
    h = crowd
    assert "Usage: /announce" in await h.reply_text(ORGANISER, "/announce")
    assert "inside, registered or all" in await h.reply_text(ORGANISER, "/announce S1 somewhere Hello")
    assert "no session 'S9'" in await h.reply_text(ORGANISER, "/announce S9 inside Hello")


async def test_queueing_for_5000_people_takes_under_a_second(harness):
    from bot.services import announcements

    h = harness
    now = "2026-05-14T08:00:00.000000Z"
    rows = [(f"P{i}", f"Person {i}", f"tok{i}", 10_000 + i, now) for i in range(5000)]
    await h.db.write(
        lambda conn: conn.executemany(
            "INSERT INTO attendees (attendee_id, name, invite_token, telegram_user_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    )
    draft = announcements.draft(["everyone"], "The doors open at nine.")
    started = time.perf_counter()
    queued = await announcements.send(h.ctx, draft)
    assert time.perf_counter() - started < 1.0
    assert queued.recipients == 5000
    assert await h.rows("SELECT count(*) FROM outbox WHERE state = 'waiting'") == [(5000,)]
