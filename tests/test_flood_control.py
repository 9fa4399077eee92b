"""Flood control (docs/product.md §7): Telegram's 429 + retry_after delays replies, it never
drops a check-in or a reply; a reply that fails outright does not undo a check-in.

These tests run with RATE_LIMIT=true, i.e. python-telegram-bot's AIORateLimiter as in
production. It throttles to 30 messages per second overall, so the bursts stay
modest (60 replies take about two seconds plus the injected retry_after waits).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import chat_texts
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.harness import ORGANISER, BotHarness, User, texts_to

ADA = User(501, "Ada", "ada_l")  # REG-1 in the sample event


@pytest.fixture
async def limited(tmp_path):
    """The sample event, with replies going through AIORateLimiter."""
    h = await BotHarness(tmp_path, RATE_LIMIT="true").start()
    for name, content in (
        ("sessions.csv", SESSIONS_CSV),
        ("attendees.csv", ATTENDEES_CSV),
        ("registrations.csv", REGISTRATIONS_CSV),
    ):
        calls = await h.send_document(ORGANISER, content.encode(), name)
        assert "imported" in calls[-1].text, calls[-1].text
    yield h
    await h.stop()


def walk_ins(count: int, first_id: int = 20_000) -> list[User]:
    return [User(first_id + i, f"Guest{i}", f"guest_{i}") for i in range(count)]


async def inject_429s_while_running(h: BotHarness, at_counts: list[int], per_wave: int) -> None:
    """Queue `per_wave` 429 answers for sendMessage each time the number of
    delivered sendMessage calls reaches one of `at_counts` (a flood mid-burst)."""
    for threshold in at_counts:
        while len(h.api.sent("sendMessage")) < threshold:
            await asyncio.sleep(0.005)
        for _ in range(per_wave):
            h.api.fail("sendMessage", status=429, retry_after=1)


async def unfinished_updates(h: BotHarness) -> int:
    return (await h.rows("SELECT COUNT(*) FROM updates WHERE done_at IS NULL"))[0][0]


async def test_burst_of_pin_check_ins_survives_repeated_429s(limited):
    h = limited
    users = walk_ins(60)
    before = len(h.api.calls)
    # A flood answer for the first replies, and two more waves in the middle of the burst.
    for _ in range(3):
        h.api.fail("sendMessage", status=429, retry_after=1)
    injector = asyncio.create_task(inject_429s_while_running(h, [20, 40], per_wave=2))
    started = time.monotonic()
    await h.deliver(*[h._message(u, text=("key1in" if u.id % 2 else " KEY1IN ")) for u in users])
    await asyncio.wait_for(injector, timeout=5)
    elapsed = time.monotonic() - started
    calls = h.api.calls[before:]

    assert h.api.errors == [], "every injected 429 was answered to a real request"
    for u in users:
        replies = texts_to(calls, u)
        assert len(replies) == 1, (u, replies)
        assert replies[0].startswith("✅ Checked in to S1"), replies[0]
    # Each check-in recorded exactly once, as an accepted IN by PIN at S1.
    rows = await h.rows(
        "SELECT attendee_id, session_id, direction, method, accepted, reason, actor_user_id "
        "FROM attendance_log ORDER BY id"
    )
    assert sorted(rows) == sorted((f"TG-{u.id}", "S1", "IN", "pin", 1, "ok", u.id) for u in users)
    assert (await h.rows("SELECT COUNT(*) FROM presence WHERE session_id = 'S1' AND inside = 1")) == [(60,)]
    assert await unfinished_updates(h) == 0
    # The 429s delayed the burst (retry_after=1 plus throttling), they did not drop anything.
    assert elapsed >= 1.0


async def test_check_in_then_check_out_stay_in_order_per_user_under_429s(limited):
    h = limited
    users = walk_ins(30, first_id=30_000)
    for _ in range(4):
        h.api.fail("sendMessage", status=429, retry_after=1)
    injector = asyncio.create_task(inject_429s_while_running(h, [25], per_wave=3))
    before = len(h.api.calls)
    payloads = []
    for u in users:  # each user's IN then OUT, in one batch with everyone else's
        payloads += [h._message(u, text="KEY1IN"), h._message(u, text="key1out")]
    await h.deliver(*payloads)
    await asyncio.wait_for(injector, timeout=5)
    calls = h.api.calls[before:]
    assert h.api.errors == []
    for u in users:
        replies = texts_to(calls, u)
        assert len(replies) == 2, (u, replies)
        assert replies[0].startswith("✅ Checked in to S1") and replies[1].startswith("👋 Checked out of S1"), replies
        assert await h.rows(
            "SELECT direction, accepted, reason FROM attendance_log WHERE attendee_id = ? ORDER BY id", (f"TG-{u.id}",)
        ) == [("IN", 1, "ok"), ("OUT", 1, "ok")]
    assert (await h.rows("SELECT COUNT(*) FROM presence WHERE inside = 1")) == [(0,)]
    assert await unfinished_updates(h) == 0


async def test_redelivered_update_while_its_reply_waits_out_a_429_is_handled_once(limited):
    h = limited
    h.api.fail("sendMessage", status=429, retry_after=1)
    payload = h._message(ADA, text="KEY1IN")
    before = len(h.api.calls)
    await h.processor.receive([payload])
    await asyncio.sleep(0.2)  # the reply is now sleeping out retry_after
    await h.processor.receive([payload])  # Telegram sends the same update again
    await h.processor.drain()
    await h.processor.receive([payload])  # ... and once more after it was finished
    await h.processor.drain()
    replies = texts_to(h.api.calls[before:], ADA)
    assert len(replies) == 1 and replies[0].startswith("✅ Checked in to S1"), replies
    assert await h.log() == [("REG-1", "S1", "IN", "pin", 1, "ok")]
    assert await unfinished_updates(h) == 0


async def test_reply_failing_with_400_keeps_the_check_in(limited):
    h = limited
    h.api.fail("sendMessage", status=400, description="Bad Request: chat not found")
    calls = await h.send(ADA, "KEY1IN")
    # The check-in was committed before the reply was attempted; the failed reply does not roll it back.
    assert await h.log() == [("REG-1", "S1", "IN", "pin", 1, "ok")]
    assert await unfinished_updates(h) == 0
    # The error handler tells the attendee only what is true: look at /myattendance.
    replies = texts_to(calls, ADA)
    assert replies == [chat_texts.INTERNAL_ERROR]
    assert "Bad Request" not in replies[0] and "Traceback" not in replies[0]
    assert "Opening keynote" in await h.reply_text(ADA, "/myattendance")
    # Sending the PIN again does not count twice.
    assert "already checked in" in await h.reply_text(ADA, "KEY1IN")
    assert len(await h.log()) == 1


async def test_reply_and_error_message_both_failing_keep_the_check_in(limited):
    h = limited
    h.api.fail("sendMessage", status=400, description="Bad Request: chat not found")
    h.api.fail("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    calls = await h.send(ADA, "KEY1IN")
    assert texts_to(calls, ADA) == []
    assert await h.log() == [("REG-1", "S1", "IN", "pin", 1, "ok")]
    assert await unfinished_updates(h) == 0
    # The bot keeps working for everyone afterwards.
    assert "Checked in to S1" in await h.reply_text(User(40_001, "Zed"), "KEY1IN")


async def test_scan_reply_failing_with_400_keeps_the_scan(limited):
    from bot.domain import badges

    h = limited
    door = User(700, "Dora", "dora_door")
    await h.send(door, "/start")
    await h.send(ORGANISER, "/scanner @dora_door S1")
    await h.send(door, "/scan S1")
    h.api.fail("sendMessage", status=429, retry_after=1)  # first a flood answer (retried) ...
    h.api.fail("sendMessage", status=400)  # ... then a refusal (not retried)
    await h.send(door, badges.make_token(h.ctx.badge_secret, "REG-2", 1))
    assert await h.rows("SELECT attendee_id, session_id, method, accepted, scanner_user_id FROM attendance_log") == [
        ("REG-2", "S1", "manual", 1, door.id)
    ]
    assert await unfinished_updates(h) == 0
