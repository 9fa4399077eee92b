"""HTTP to the Bot API, retrying transient failures.

A reply that fails once (connection reset, timeout, a 5xx from a proxy or a
self-hosted Bot API server) is tried again a few times with backoff instead of
being dropped: the attendee's check-in is already committed, and a reply sent
twice is better than none. Flood limits (429) are handled by the rate limiter,
which sees them as answers, not failures.

At start-up the first call (`getMe`) is tried fewer times and quietly
(`first_contact`): a person starting the bot against an unreachable server
gets one line within seconds (see `bot.__main__`), not a minute of retries.

A message the bot sends on its own initiative (the outbox, `bot.telegram.outbox`)
is sent with `SPEAKING_FIRST` set: it must reach each recipient once and never
twice, so it is tried again only after a failure that proves Telegram did not
get it (no connection could be made, or Telegram answered 5xx). A request that
may have arrived (the connection broke, or the answer timed out, after it was
sent) raises `FateUnknown` instead of being sent again. The same variable tells
the rate limiter to let replies go first (`bot.telegram.rate_limit`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from telegram.error import NetworkError
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)
SPEAKING_FIRST: contextvars.ContextVar[bool] = contextvars.ContextVar("speaking_first", default=False)
# httpx failures that happen before a request is on its way: Telegram cannot have got it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class FateUnknown(NetworkError):
    """The request may or may not have reached Telegram (raised for the outbox only)."""


ATTEMPTS = 5
STARTUP_ATTEMPTS = 3  # 1.5 s of back-off before start-up gives up
FIRST_DELAY = 0.5
PTB_REQUEST_LOGGER = "telegram.request.BaseRequest"
# Requests in flight at once. Telegram accepts about 30 messages a second, so
# 30 x round trip are needed: 4 cover round trips up to ~130 ms. More costs
# CPU: httpcore checks
# every pooled connection for every request it assigns (measured end to end:
# 2 in flight 69 % of a bare echo bot's rate, 4: 64 %, 8: 50 %).
IN_FLIGHT = 4


class RetryingRequest(HTTPXRequest):
    _in_flight: asyncio.Semaphore | None = None
    attempts: int = ATTEMPTS
    retry_log_level: int = logging.WARNING

    @contextmanager
    def first_contact(self) -> Iterator[None]:
        """Fewer retries, and quiet ones, while the bot checks that it can start: the caller
        reports a failure in one line. PTB also logs a traceback when an answer is not JSON
        (TELEGRAM_API_URL pointing at some other web server); that is hushed too."""
        ptb_log = logging.getLogger(PTB_REQUEST_LOGGER)
        ptb_level = ptb_log.level
        self.attempts, self.retry_log_level = STARTUP_ATTEMPTS, logging.DEBUG
        ptb_log.setLevel(logging.CRITICAL)
        try:
            yield
        finally:
            del self.attempts, self.retry_log_level  # back to the class defaults
            ptb_log.setLevel(ptb_level)

    async def do_request(
        self,
        url,
        method,
        request_data=None,
        read_timeout=HTTPXRequest.DEFAULT_NONE,  # PTB's defaults: "not given", so the instance's
        write_timeout=HTTPXRequest.DEFAULT_NONE,  # timeouts apply (None would mean "wait forever")
        connect_timeout=HTTPXRequest.DEFAULT_NONE,
        pool_timeout=HTTPXRequest.DEFAULT_NONE,
    ):
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(IN_FLIGHT)
        delay = FIRST_DELAY
        attempts = self.attempts
        for attempt in range(1, attempts + 1):
            try:
                async with self._in_flight:
                    status, payload = await super().do_request(
                        url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
                    )
            except NetworkError as exc:  # TimedOut is a NetworkError too
                if SPEAKING_FIRST.get() and not isinstance(exc.__cause__, NOT_SENT):
                    raise FateUnknown(f"no answer to {method} {type(exc.__cause__ or exc).__name__}") from exc
                if attempt == attempts:
                    raise
                log.log(
                    self.retry_log_level,
                    "Bot API call failed (%s); retry %d of %d",
                    type(exc).__name__,
                    attempt,
                    attempts - 1,
                )
            else:
                if status < 500 or attempt == attempts:
                    return status, payload
                log.log(self.retry_log_level, "Bot API answered %d; retry %d of %d", status, attempt, attempts - 1)
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")
