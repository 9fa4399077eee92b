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

A reply whose delivery is unknown at a crash is sent again: at least once.
An update is marked done (batched, `_finish`) only after its handler has
returned, that is after its reply was answered by Telegram. A process killed
between the two leaves an update whose reply may have reached the attendee but
which is not marked done; after the restart it is handled again, the check-in
is found already recorded (counted once, by update id) and the same
confirmation is sent again. That window holds the replies in flight at the
kill (at most `bot.telegram.request.IN_FLIGHT`) and those answered whose done
marks were not committed yet (one group commit). We chose a second, identical
"Checked in" over silence: an attendee at the door who hears nothing does not
know whether they are in, and one told twice loses nothing. (The outbox, which
speaks first, chooses the other way: an announcement is sent at most once.)
Every other reply is sent exactly once: those still waiting for the rate
limiter at the kill were never sent and are sent once after the restart, and
those marked done are not handled again. `tests/test_e2e.py` and `bench/e2e.py`
count, for each kill, the attendees in that window and check they alone got
two replies.

When the database cannot store (the disk is full, the file is read-only or
failing: `bot.storage.db.StorageUnavailable`), nothing is confirmed that is
not stored: polling keeps asking Telegram for the same batch (the offset stays)
and webhook mode answers 503, so Telegram delivers it again. A stored update
whose handling could not be written is not marked done and is tried again every
`retry_interval` seconds. Each sender is told once per update that the bot
cannot record right now and should try again in a minute, and the log gets one
line when the trouble starts, at most one a `report_interval` (a minute) while
it lasts, and one when the database stores again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
import warnings
from collections import defaultdict
from collections.abc import Callable

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot import chat_texts, i18n
from bot.i18n import _
from bot.services import languages
from bot.services.context import AppContext
from bot.storage import inbox
from bot.storage.db import StorageUnavailable, storage_trouble
from bot.telegram import startup_texts

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25
REPORT_INTERVAL = 60.0  # seconds between two log lines about a database that cannot store
RETRY_INTERVAL = 5.0  # seconds between two tries of what could not be stored
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


class StorageReport:
    """The log's lines about a database that cannot store: one when it starts, then at most one
    every `interval` seconds however many updates meet it, and one when it stores again."""

    def __init__(
        self, path: object = "", interval: float = REPORT_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.path, self.interval, self.clock = path, interval, clock
        self.since: float | None = None  # when the trouble started (None: the database stores)
        self._last_line = 0.0
        self.failures = 0  # tries that met the trouble since the last line

    @property
    def in_trouble(self) -> bool:
        return self.since is not None

    def failed(self, trouble: StorageUnavailable, waiting: int) -> None:
        now = self.clock()
        self.failures += 1
        if self.since is not None and now - self._last_line < self.interval:
            return
        first = self.since is None
        self.since = now if first else self.since
        self._last_line = now
        log.error(
            "%s %s: %d update(s) wait; Telegram keeps what was not stored, tried again every few seconds.",
            startup_texts.cannot_store(self.path, trouble.kind, trouble.reason),
            "Since now" if first else f"Still so after {now - self.since:.0f} s and {self.failures} tries",
            waiting,
        )
        self.failures = 0

    def stored(self) -> None:
        if self.since is None:
            return
        log.warning(
            "The database %s stores again, after %.0f s; what waited is being handled.",
            self.path,
            self.clock() - self.since,
        )
        self.since, self.failures = None, 0


class _Handling:
    """What the error handler tells `_process` about the update being handled."""

    def __init__(self) -> None:
        self.trouble: StorageUnavailable | None = None


_HANDLING: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar("handling", default=None)


async def on_storage_trouble(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The first error handler: a handler that could not write because the database cannot store
    leaves its update unfinished, to be tried again (`UpdateProcessor`), without the generic
    "something went wrong" reply or a traceback per update. Any other error goes on to the next."""
    trouble = storage_trouble(context.error) if context.error is not None else None
    handling = _HANDLING.get()
    if trouble is None or handling is None:
        return
    handling.trouble = trouble
    raise ApplicationHandlerStop


class UpdateProcessor:
    """Stores updates in the inbox, then processes them: per-user order, users in parallel."""

    def __init__(
        self,
        application: Application,
        ctx: AppContext,
        max_concurrency: int = 10_000,
        report_interval: float = REPORT_INTERVAL,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        self.application = application
        self.ctx = ctx
        self.storage = StorageReport(ctx.settings.database_path, report_interval)
        self.retry_interval = retry_interval
        self._told: set[int] = set()  # updates whose sender was told we cannot record right now
        self._waiting: dict[int, dict] = {}  # stored updates whose handling could not be stored
        self._retry: asyncio.TimerHandle | None = None
        self._lanes: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._slots = asyncio.Semaphore(max_concurrency)
        self._tasks: set[asyncio.Task] = set()
        self._scheduled: set[int] = set()
        self._finished: list[int] = []
        self._flusher: asyncio.Task | None = None

    async def receive(self, payloads: list[dict]) -> None:
        """Store a batch durably (one transaction), then schedule each update. `StorageUnavailable`
        when it cannot be stored: the caller must not confirm it to Telegram; each sender has been told."""
        if not payloads:
            return
        try:
            pending = await self.ctx.db.write(
                _store, [(p["update_id"], json.dumps(p)) for p in payloads], self.ctx.clock()
            )
        except StorageUnavailable as trouble:
            self.storage.failed(trouble, len(payloads) + len(self._waiting))
            for payload in payloads:
                self._tell_later(payload)
            raise
        self.storage.stored()
        for payload in payloads:
            if payload["update_id"] in pending:  # a redelivered, finished update is not handled again
                self._schedule(payload)

    async def resume_pending(self) -> int:
        """Schedule stored updates that were received but not finished (after a crash)."""
        pending = await self.ctx.db.read(inbox.pending_updates)
        for _update_id, payload in pending:
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
        handling = _Handling()
        _HANDLING.set(handling)
        finished = False
        try:
            async with lane, self._slots:
                update = Update.de_json(payload, self.application.bot)
                # Handler errors are routed to the error handlers inside process_update.
                await self.application.process_update(update)
            if handling.trouble is not None:  # not recorded: stays unfinished, tried again
                self.storage.failed(handling.trouble, len(self._waiting) + 1)
                self._waiting[update_id] = payload
                self._tell_later(payload)
                self._retry_later()
            else:
                self._waiting.pop(update_id, None)
                self._finish(update_id)
                finished = True
        except Exception:
            log.exception("update %s could not be processed; it stays in the inbox", update_id)
        finally:
            if not finished:  # a finished update stays "scheduled" until its done mark is committed
                self._scheduled.discard(update_id)

    def _retry_later(self) -> None:
        """Schedule the updates that wait for the database again in `retry_interval` seconds."""
        if self._retry is None:
            self._retry = asyncio.get_running_loop().call_later(self.retry_interval, self._retry_waiting)

    def _retry_waiting(self) -> None:
        self._retry = None
        for payload in list(self._waiting.values()):
            self._schedule(payload)

    def _tell_later(self, payload: dict) -> None:
        task = asyncio.create_task(self._say_cannot_record(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _say_cannot_record(self, payload: dict) -> None:
        """Tell the sender, once per update, that nothing was recorded and to try again in a minute."""
        update_id = payload["update_id"]
        if update_id in self._told:
            return
        self._told.add(update_id)
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception:  # a payload PTB cannot read has nobody to tell
            return
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != "private":
            return
        i18n.use(languages.language_for(self.ctx, user.id, user.language_code))
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(_(chat_texts.CANNOT_RECORD_NOW), show_alert=True)
            elif update.message is not None:
                await self.application.bot.send_message(chat.id, _(chat_texts.CANNOT_RECORD_NOW))
        except TelegramError as exc:
            log.warning("could not tell the sender of update %s that it waits (%s)", update_id, exc)

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
            try:
                await self.ctx.db.write(inbox.mark_updates_done, batch, self.ctx.clock())
            except StorageUnavailable as trouble:
                # Not marked: handled again after a restart (idempotent), never in this process.
                self._finished = batch + self._finished
                self.storage.failed(trouble, len(self._waiting))
                asyncio.get_running_loop().call_later(self.retry_interval, self._flush_again)
                return
            self.storage.stored()
            for update_id in batch:
                self._scheduled.discard(update_id)
                self._told.discard(update_id)

    def _flush_again(self) -> None:
        if self._finished and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush_finished())
            self._tasks.add(self._flusher)
            self._flusher.add_done_callback(self._tasks.discard)

    async def drain(self, keep_retrying: bool = False) -> None:
        """Wait until every scheduled update has been processed. At a stop (`keep_retrying` false),
        updates waiting for the database are not tried again: they stay in the inbox for the next start."""
        if self._retry is not None and not keep_retrying:
            self._retry.cancel()
            self._retry = None
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def poll(application: Application, processor: UpdateProcessor, stop: asyncio.Event) -> None:
    """Long-poll getUpdates. The offset that confirms a batch is sent only
    after the batch is stored, so Telegram keeps anything not yet stored
    (while the database cannot store, the same batch is asked for again)."""
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
            try:
                await processor.receive(payloads)
            except StorageUnavailable:  # not stored: not confirmed; Telegram gives it again
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), processor.retry_interval)
                continue
            offset = payloads[-1]["update_id"] + 1
