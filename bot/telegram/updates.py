"""Receiving updates durably, and processing them.

python-telegram-bot's own polling confirms updates to Telegram (by asking for
the next offset) before its handlers have run, so a crash right after a fetch
would lose the check-ins it fetched. Here every update is first stored in the
database inbox (`updates` table); only then is the next offset requested
(polling) or 200 answered (webhook). Stored updates that were not finished are
processed first on start. Handlers are idempotent by `update_id` (see
`bot.services.attendance`), so an update processed twice is counted once.

Updates from one user are handled in order (a check-in before the check-out
that follows it); different users are handled concurrently, because replies
wait on Telegram's rate limit and nobody should queue behind someone else.
The concurrency bound is high on purpose: a check-in is recorded as soon as
its update is handled, and only its reply waits for the rate limit (measured
in a 5,000-person rush with a bound of 256: check-ins were recorded up to
130 s late, behind the replies; with 10,000, within 0.2 s).
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections import defaultdict

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.services.context import AppContext
from bot.storage import inbox

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25
# We call getUpdates through do_api_request on purpose: it returns the raw JSON
# that the inbox stores. PTB warns about that on every call.
warnings.filterwarnings("ignore", message=r".*do_api_request", category=UserWarning)


def _lane_key(payload: dict) -> int:
    for kind in ("message", "edited_message", "callback_query", "my_chat_member", "inline_query"):
        sender = (payload.get(kind) or {}).get("from")
        if sender and "id" in sender:
            return int(sender["id"])
    return 0


def _store(conn, updates: list[tuple[int, str]], now) -> set[int]:
    """Store a batch; return the ids among it that still need handling."""
    inbox.store_updates(conn, updates, now)
    return inbox.unfinished_among(conn, [update_id for update_id, _ in updates])


class UpdateProcessor:
    """Stores updates in the inbox, then processes them: per-user order, users in parallel."""

    def __init__(self, application: Application, ctx: AppContext, max_concurrency: int = 10_000) -> None:
        self.application = application
        self.ctx = ctx
        self._lanes: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._slots = asyncio.Semaphore(max_concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._scheduled: set[int] = set()
        self._finished: list[int] = []
        self._flusher: asyncio.Task | None = None

    async def receive(self, payloads: list[dict]) -> None:
        """Store a batch durably (one transaction), then schedule each update."""
        if not payloads:
            return
        pending = await self.ctx.db.write(_store, [(p["update_id"], json.dumps(p)) for p in payloads], self.ctx.clock())
        for payload in payloads:
            if payload["update_id"] in pending:  # a redelivered, finished update is not handled again
                self._schedule(payload)

    async def resume_pending(self) -> int:
        """Schedule stored updates that were received but not finished (after a crash)."""
        pending = await self.ctx.db.read(inbox.pending_updates)
        for _, payload in pending:
            self._schedule(json.loads(payload))
        if pending:
            log.info("resuming %d update(s) received before the last stop", len(pending))
        return len(pending)

    def _schedule(self, payload: dict) -> None:
        update_id = payload["update_id"]
        if update_id in self._scheduled:
            return
        self._scheduled.add(update_id)
        task = asyncio.create_task(self._process(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, payload: dict) -> None:
        update_id = payload["update_id"]
        lane = self._lanes[_lane_key(payload)]
        try:
            async with lane, self._slots:
                update = Update.de_json(payload, self.application.bot)
                # Handler errors are routed to the error handler inside process_update.
                await self.application.process_update(update)
            self._finish(update_id)
        except Exception:
            log.exception("update %s could not be processed; it stays in the inbox", update_id)
        finally:
            self._scheduled.discard(update_id)

    def _finish(self, update_id: int) -> None:
        """Mark an update done, batched: while one batch commits, the next gathers.

        Losing a done-mark in a crash only means the update is handled again on
        start, and handling is idempotent by update_id; so a mark needs no commit
        of its own, which would cost one more fsync per check-in.
        """
        self._finished.append(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_finished())
            self._tasks.add(self._flusher)
            self._flusher.add_done_callback(self._tasks.discard)

    async def _flush_finished(self) -> None:
        while self._finished:
            batch, self._finished = self._finished, []
            await self.ctx.db.write(inbox.mark_updates_done, batch, self.ctx.clock())

    async def drain(self) -> None:
        """Wait until every scheduled update has been processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def poll(application: Application, processor: UpdateProcessor, stop: asyncio.Event) -> None:
    """Long-poll getUpdates. The offset that confirms a batch is sent only
    after the batch is stored, so Telegram keeps anything not yet stored."""
    # No offset at first: Telegram then returns every unconfirmed update, whatever
    # its id (ids can restart from a lower value after a quiet week). Updates
    # already stored are recognised by id and not handled twice.
    offset = None
    backoff = 1.0
    while not stop.is_set():
        try:
            params = {"timeout": POLL_TIMEOUT, "allowed_updates": ["message", "callback_query", "edited_message"]}
            if offset is not None:
                params["offset"] = offset
            fetch = asyncio.create_task(
                application.bot.do_api_request("getUpdates", api_kwargs=params, read_timeout=POLL_TIMEOUT + 10)
            )
            stopped = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                break
            stopped.cancel()
            payloads = fetch.result() or []
            backoff = 1.0
        except Conflict:
            log.error("another bot instance is polling with this token; stopping this one")
            break
        except RetryAfter as exc:
            await asyncio.sleep(
                float(exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after)
            )
            continue
        except (NetworkError, TimedOut) as exc:
            log.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30)
            continue
        if payloads:
            await processor.receive(payloads)
            offset = payloads[-1]["update_id"] + 1
