"""The outbox sender: messages the bot sends on its own initiative, each to its recipient once.

Services queue messages in the outbox table (`bot.storage.outbox`) in the same transaction as
the decision to send them, and tell `AppContext.outbox_changed`; this sender drains the table:

* **At Telegram's limits, behind replies.** Every message goes through the bot's rate limiter
  with `SPEAKING_FIRST` set, so it takes one of the 30 slots a second only while no reply to a
  check-in is waiting (`bot.telegram.rate_limit`). A broadcast goes to one chat once, far below
  Telegram's one message a second per chat.
* **Once, never twice.** A message is claimed (waiting → sending, committed) before its request
  and settled after Telegram's answer (sent, blocked, failed). It is tried again only when
  Telegram certainly did not get it: no connection, a 5xx, a 429 (`FateUnknown` otherwise, see
  `bot.telegram.request`). The one case that cannot be known is a request in flight when the
  process dies (or whose answer never comes): Telegram may or may not have delivered it, and
  the Bot API offers no way to ask. Such a message is recorded as `unknown` and not sent again:
  a recipient may miss it, but nobody gets it twice. At most `CONCURRENCY` messages are in
  flight at once, so a kill -9 leaves at most that many unknown, and the broadcast's summary
  counts them.
* **Telegram's refusals are recorded, not retried:** 403 (the person blocked the bot) as
  `blocked`, 400 (chat not found, a bad file) as `failed`.
* **Observable.** The broadcast's counts are in the database (`outbox.counts`); observers are
  told after each message (the announcement's progress message), and the log says when a
  broadcast ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.services import certificates
from bot.services.context import AppContext
from bot.storage import outbox
from bot.telegram.request import IN_FLIGHT, SPEAKING_FIRST, FateUnknown

log = logging.getLogger(__name__)
CONCURRENCY = IN_FLIGHT  # messages in flight at once: enough for 30 a second
BATCH = 60  # messages read from the table at a time
IDLE_POLL = 2.0  # seconds between looks at the table when nobody said anything was queued
MAX_ATTEMPTS = 8  # after this many failed connections or server errors, a message is `failed`
OUTBOX = "outbox"  # bot_data key of the running sender (bot.__main__): announcements add their observers to it
# What a queued message may be: the Bot API method named in its payload, and the Bot's method for it.
METHODS = {"sendMessage": "send_message", "sendPhoto": "send_photo", "sendDocument": "send_document"}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 300))


class OutboxSender:
    def __init__(self, application: Application, ctx: AppContext) -> None:
        self.application = application
        self.ctx = ctx
        self.observers: list[Callable[[int], None]] = []  # told a broadcast id after each of its messages
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._stop: asyncio.Event | None = None

    def wake_from_any_thread(self) -> None:
        """Something was queued (called from the database thread: only schedules the wake-up)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; messages left waiting go out after the next start. Once `stop`
        is set nothing more is claimed: the messages in flight finish, and a clean stop leaves none
        unknown."""
        self._loop = asyncio.get_running_loop()
        self._stop = stop
        self.ctx.outbox_changed = self.wake_from_any_thread
        unknown = await self.ctx.db.write(outbox.interrupted, self.ctx.clock())
        if unknown:
            log.warning(
                "%d outbox message(s) were being sent when the bot stopped: Telegram may or may not have "
                "delivered them, so they are recorded as unknown and not sent again",
                unknown,
            )
            await self._finish_broadcasts()  # a broadcast whose last messages were in flight ends here
        while not stop.is_set():
            self._wake.clear()  # before looking at the table: something queued from now on wakes the sleep
            if not await self.send_due():
                await self._sleep(stop)

    async def send_due(self) -> bool:
        """Send every message due now (in batches); False if there was none."""
        ids = await self.ctx.db.read(outbox.due, self.ctx.clock(), BATCH)
        if not ids:
            return False
        await asyncio.gather(*(self._send_one(outbox_id) for outbox_id in ids))
        await self._finish_broadcasts()
        return True

    async def _finish_broadcasts(self) -> None:
        finished = await self.ctx.db.write(outbox.finish_broadcasts, self.ctx.clock())
        for broadcast_id in finished:
            counts = await self.ctx.db.read(outbox.counts, broadcast_id)
            log.info("broadcast %d finished: %s", broadcast_id, _summary(counts))
            self._tell(broadcast_id)

    async def _sleep(self, stop: asyncio.Event) -> None:
        timeout = IDLE_POLL
        later = await self.ctx.db.read(outbox.next_due_time)
        if later is not None:
            timeout = min(timeout, max((later - self.ctx.clock()).total_seconds(), 0.05))
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stopped, woken}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            woken.cancel()

    async def _send_one(self, outbox_id: int) -> None:
        async with self._slots:
            if self._stop is not None and self._stop.is_set():
                return  # stopping: it waits for the next start
            message = await self.ctx.db.write(outbox.claim, outbox_id)
            if message is None:  # stopped, or taken meanwhile
                return
            outcome = await self._request(message)
            await self.ctx.db.write(_settle, message, outcome, self.ctx.clock())
        self._tell(message.broadcast_id)

    async def _request(self, message: outbox.OutboxMessage) -> tuple[str, object]:
        """What Telegram said: ("sent", message id), ("blocked"|"failed"|"unknown", why),
        or ("again", (delay, why)) for a message Telegram certainly did not get."""
        SPEAKING_FIRST.set(True)  # this task's own context: replies go first, and no blind retries
        try:
            send = getattr(self.application.bot, METHODS[message.payload["method"]])
            params = dict(message.payload["params"])
            if "document_from" in message.payload:  # a file kept in the database, uploaded now
                found = await certificates.document_for(self.ctx, message.payload["document_from"])
                if found is None:
                    raise KeyError(message.payload["document_from"])
                params["document"] = InputFile(found[1], filename=found[0])
        except (KeyError, TypeError) as exc:  # a payload no Bot API method can take: never sent
            return "failed", f"cannot be sent: {exc!r}"
        try:
            sent = await send(**params)
        except Forbidden as exc:
            return "blocked", exc.message
        except BadRequest as exc:
            return "failed", exc.message
        except FateUnknown as exc:
            log.warning("outbox message %d: no answer from Telegram (%s); recorded as unknown", message.id, exc)
            return "unknown", str(exc)
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return "again", (timedelta(seconds=seconds), "429")
        except (NetworkError, TelegramError) as exc:  # no connection, or Telegram answered 5xx
            if message.attempts >= MAX_ATTEMPTS:
                return "failed", exc.message
            return "again", (backoff(message.attempts), exc.message)
        except Exception as exc:  # a bug, not Telegram: the request may have gone out, so never again
            log.exception("outbox message %d: sending failed; recorded as unknown", message.id)
            return "unknown", repr(exc)
        return "sent", sent.message_id

    def _tell(self, broadcast_id: int) -> None:
        for observer in self.observers:
            try:
                observer(broadcast_id)
            except Exception:
                log.exception("an outbox observer failed")


def _settle(conn, message: outbox.OutboxMessage, outcome: tuple[str, object], now: datetime) -> None:
    state, detail = outcome
    if state == "again":
        delay, why = detail
        outbox.try_again(conn, message.id, now + delay, str(why))
    elif state == "sent":
        outbox.settle(conn, message.id, "sent", now, message_id=detail)
    else:
        outbox.settle(conn, message.id, state, now, error=str(detail))


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{state} {counts[state]}" for state in sorted(counts)) or "nothing"
