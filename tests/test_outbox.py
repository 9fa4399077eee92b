"""The outbox: messages the bot sends first reach each recipient once, behind replies.

Through the real Application and the fake Bot API (the sender's own logic), the real rate
limiter (replies first), and a real HTTP server for the one case that decides between once
and twice: a request whose answer never comes.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from telegram.error import NetworkError

from bot.storage import outbox
from bot.telegram.outbox import CONCURRENCY, OutboxSender
from bot.telegram.rate_limit import SlidingWindowRateLimiter
from bot.telegram.request import SPEAKING_FIRST, FateUnknown, RetryingRequest
from tests.harness import BotHarness


@pytest.fixture
async def bot(tmp_path):
    h = await BotHarness(tmp_path).start()
    yield h
    await h.stop()


async def queue(h: BotHarness, chat_ids: list[int], text: str = "Room change") -> int:
    def body(conn):
        broadcast = outbox.create_broadcast(conn, "announcement", h.clock(), created_by=1, text=text)
        planned = [
            outbox.Planned(c, {"method": "sendMessage", "params": {"chat_id": c, "text": text}}) for c in chat_ids
        ]
        outbox.enqueue(conn, broadcast, planned, h.clock())
        return broadcast

    return await h.db.write(body)


async def states(h: BotHarness) -> dict[int, str]:
    return dict(await h.rows("SELECT chat_id, state FROM outbox ORDER BY id"))


async def test_each_recipient_gets_the_message_once_and_the_broadcast_ends(bot, caplog):
    caplog.set_level("INFO")
    broadcast = await queue(bot, [101, 102, 103])
    sender = OutboxSender(bot.app, bot.ctx)
    told = []
    sender.observers.append(told.append)
    assert await sender.send_due() is True
    assert sorted(c.chat_id for c in bot.api.sent("sendMessage")) == [101, 102, 103]
    assert await states(bot) == {101: "sent", 102: "sent", 103: "sent"}
    assert await bot.rows("SELECT count(*) FROM outbox WHERE message_id IS NULL") == [(0,)]
    assert await bot.rows("SELECT state FROM broadcasts") == [("done",)]
    assert await sender.send_due() is False  # nothing twice
    assert len(bot.api.sent("sendMessage")) == 3
    assert told.count(broadcast) == 4  # one per message, and the end
    assert f"broadcast {broadcast} finished: sent 3" in caplog.text


async def test_queueing_twice_for_a_recipient_or_a_key_queues_once(bot):
    def body(conn):
        b = outbox.create_broadcast(conn, "reminder", bot.clock())
        one = outbox.Planned(7, {"method": "sendMessage", "params": {"chat_id": 7, "text": "x"}}, dedupe_key="r:S1:7")
        return outbox.enqueue(conn, b, [one, one], bot.clock()), outbox.enqueue(conn, b, [one], bot.clock())

    assert await bot.db.write(body) == (1, 0)


async def test_blocked_and_unknown_chats_are_recorded_not_retried(bot):
    await queue(bot, [201, 202, 203])
    bot.api.fail("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    bot.api.fail("sendMessage", 400, description="Bad Request: chat not found")
    await OutboxSender(bot.app, bot.ctx).send_due()
    assert sorted((await states(bot)).values()) == ["blocked", "failed", "sent"]
    errors = dict(await bot.rows("SELECT state, error FROM outbox WHERE state != 'sent'"))
    assert errors == {"blocked": "Forbidden: bot was blocked by the user", "failed": "Chat not found"}
    assert await OutboxSender(bot.app, bot.ctx).send_due() is False


async def test_a_server_error_waits_and_is_tried_again(bot):
    await queue(bot, [301])
    bot.api.fail("sendMessage", 502, description="Bad Gateway")  # (after the retrying request's own attempts)
    sender = OutboxSender(bot.app, bot.ctx)
    await sender.send_due()
    assert await bot.rows("SELECT state, attempts, not_before IS NOT NULL FROM outbox") == [("waiting", 1, 1)]
    assert await sender.send_due() is False  # not before its time
    bot.clock.advance(seconds=5)
    assert await sender.send_due() is True
    assert await states(bot) == {301: "sent"}


async def test_a_message_in_flight_when_the_bot_died_is_unknown_and_never_sent_again(bot, caplog):
    await queue(bot, [401, 402])
    first = (await bot.db.read(outbox.due, bot.clock(), 10))[0]
    assert await bot.db.write(outbox.claim, first) is not None  # claimed, then kill -9 before the answer
    stop = asyncio.Event()
    stop.set()
    await OutboxSender(bot.app, bot.ctx).run(stop)  # the next start
    assert "1 outbox message(s) were being sent when the bot stopped" in caplog.text
    await OutboxSender(bot.app, bot.ctx).send_due()
    assert await states(bot) == {401: "unknown", 402: "sent"}
    assert [c.chat_id for c in bot.api.sent("sendMessage")] == [402]


async def test_a_broadcast_whose_last_messages_were_in_flight_ends_at_the_next_start(bot, caplog):
    caplog.set_level("INFO")
    broadcast = await queue(bot, [411, 412])
    for outbox_id in await bot.db.read(outbox.due, bot.clock(), 10):
        await bot.db.write(outbox.claim, outbox_id)  # both in flight, then kill -9
    stop = asyncio.Event()
    stop.set()
    sender = OutboxSender(bot.app, bot.ctx)
    told = []
    sender.observers.append(told.append)
    await sender.run(stop)
    assert await bot.rows("SELECT state FROM broadcasts") == [("done",)]
    assert told == [broadcast] and f"broadcast {broadcast} finished: unknown 2" in caplog.text


async def test_a_payload_no_method_takes_fails_and_the_sender_goes_on(bot):
    def body(conn):
        b = outbox.create_broadcast(conn, "announcement", bot.clock())
        odd = outbox.Planned(421, {"method": "sendTelegram", "params": {"chat_id": 421}})
        fine = outbox.Planned(422, {"method": "sendMessage", "params": {"chat_id": 422, "text": "x"}})
        outbox.enqueue(conn, b, [odd, fine], bot.clock())

    await bot.db.write(body)
    await OutboxSender(bot.app, bot.ctx).send_due()
    assert await states(bot) == {421: "failed", 422: "sent"}
    assert "cannot be sent" in (await bot.rows("SELECT error FROM outbox WHERE chat_id = 421"))[0][0]


async def test_a_stopping_sender_finishes_what_is_in_flight_and_claims_nothing_more(bot):
    await queue(bot, list(range(601, 621)))
    stop = asyncio.Event()
    sender = OutboxSender(bot.app, bot.ctx)
    sender.observers.append(lambda broadcast: stop.set())  # stop as soon as one message went out
    await asyncio.wait_for(sender.run(stop), 30)
    left = sorted(set((await states(bot)).values()))
    assert left == ["sent", "waiting"]  # nothing left sending, so nothing unknown at the next start
    assert 1 <= len(bot.api.sent("sendMessage")) <= CONCURRENCY


async def test_a_message_queued_while_the_sender_looks_at_the_table_wakes_it(bot, monkeypatch):
    """Queued (and the sender told) right after the sender found nothing due: not left waiting
    until the next poll of the table."""
    monkeypatch.setattr("bot.telegram.outbox.IDLE_POLL", 3600.0)
    sender = OutboxSender(bot.app, bot.ctx)
    look_at_the_table = sender.send_due
    queued = []

    async def send_due():
        found = await look_at_the_table()
        if not found and not queued:
            queued.append(await queue(bot, [631]))
            bot.ctx.outbox_changed()  # as a use case does, from the database thread
        return found

    monkeypatch.setattr(sender, "send_due", send_due)
    stop = asyncio.Event()
    sender.observers.append(lambda broadcast: stop.set())
    await asyncio.wait_for(sender.run(stop), 30)  # an hour's sleep if the wake-up were lost
    assert len(queued) == 1 and await states(bot) == {631: "sent"}


async def test_a_stopped_broadcast_sends_nothing_more(bot):
    broadcast = await queue(bot, [501, 502])
    assert await bot.db.write(outbox.stop_broadcast, broadcast, bot.clock()) == 2
    assert await OutboxSender(bot.app, bot.ctx).send_due() is False
    assert bot.api.sent("sendMessage") == []
    assert await bot.db.read(outbox.counts, broadcast) == {"cancelled": 2}


async def test_replies_go_before_the_bots_own_messages():
    limiter = SlidingWindowRateLimiter(per_window=2, window=0.2)
    await limiter.initialize()
    order: list[str] = []

    async def send(label):
        order.append(label)
        return True

    async def own(i):
        SPEAKING_FIRST.set(True)
        return await limiter.process_request(send, (f"own{i}",), {}, "sendMessage", {"chat_id": i}, None)

    async def reply(i):
        return await limiter.process_request(send, (f"reply{i}",), {}, "sendMessage", {"chat_id": 100 + i}, None)

    broadcast = [asyncio.create_task(own(i)) for i in range(8)]
    await asyncio.sleep(0.05)  # the broadcast has taken the first window
    await asyncio.gather(*(reply(i) for i in range(4)))
    replies_done = len(order)
    await asyncio.gather(*broadcast)
    assert order[:2] == ["own0", "own1"]
    assert [x for x in order[:replies_done] if x.startswith("reply")] == [f"reply{i}" for i in range(4)]
    assert sum(x.startswith("own") for x in order[:replies_done]) <= 3  # at most one slipped in as a reply waited
    assert len(order) == 12


class Silent:
    """A local HTTP server that reads requests and never answers them."""

    def __init__(self) -> None:
        self.requests = 0

    async def handle(self, reader, writer):
        await reader.read(1024)
        self.requests += 1
        await asyncio.sleep(30)

    async def __aenter__(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()


async def test_an_unanswered_request_of_the_outbox_is_never_sent_twice():
    request = RetryingRequest()
    request.attempts = 2
    # Given on every call, as PTB's Bot does: the request's own defaults are PTB's DEFAULT_NONE markers.
    timeouts = {"read_timeout": 0.3, "write_timeout": 1, "connect_timeout": 1, "pool_timeout": 1}
    await request.initialize()
    async with Silent() as server:

        async def ask():
            SPEAKING_FIRST.set(True)
            return await request.do_request(f"http://127.0.0.1:{server.port}/botX/sendMessage", "POST", **timeouts)

        with pytest.raises(FateUnknown):
            await ask()
        assert server.requests == 1
        SPEAKING_FIRST.set(False)
        with pytest.raises(NetworkError) as replies:  # a reply would have been tried again
            await request.do_request(f"http://127.0.0.1:{server.port}/botX/sendMessage", "POST", **timeouts)
        assert not isinstance(replies.value, FateUnknown) and server.requests == 3
    await request.shutdown()


async def test_a_request_that_could_not_connect_is_tried_again_even_for_the_outbox(caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    request = RetryingRequest()
    request.attempts = 2
    await request.initialize()
    SPEAKING_FIRST.set(True)
    with pytest.raises(NetworkError) as failed:
        await request.do_request(f"http://127.0.0.1:{port}/botX/sendMessage", "POST")
    assert not isinstance(failed.value, FateUnknown)  # Telegram cannot have got it: safe to try again
    assert "Bot API call failed (NetworkError); retry 1 of 1" in caplog.text
    await request.shutdown()
