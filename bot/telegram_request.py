"""HTTP to the Bot API, retrying transient failures.

A reply that fails once (connection reset, timeout, a 5xx from a proxy or a
self-hosted Bot API server) is tried again a few times with backoff instead of
being dropped: the attendee's check-in is already committed, and a reply sent
twice is better than none. Flood limits (429) are handled by the rate limiter,
which sees them as answers, not failures.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import NetworkError
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)
ATTEMPTS = 5
FIRST_DELAY = 0.5
# Requests in flight at once. Telegram accepts about 30 messages a second, so
# 30 x round trip are needed: 4 cover round trips up to ~130 ms. More costs
# CPU: httpcore checks
# every pooled connection for every request it assigns (measured end to end:
# 2 in flight 69 % of a bare echo bot's rate, 4: 64 %, 8: 50 %).
IN_FLIGHT = 4


class RetryingRequest(HTTPXRequest):
    _in_flight: asyncio.Semaphore | None = None

    async def do_request(
        self,
        url,
        method,
        request_data=None,
        read_timeout=None,
        write_timeout=None,
        connect_timeout=None,
        pool_timeout=None,
    ):
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(IN_FLIGHT)
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._in_flight:
                    status, payload = await super().do_request(
                        url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
                    )
            except NetworkError as exc:  # TimedOut is a NetworkError too
                if attempt == ATTEMPTS:
                    raise
                log.warning("Bot API call failed (%s); retry %d of %d", type(exc).__name__, attempt, ATTEMPTS - 1)
            else:
                if status < 500 or attempt == ATTEMPTS:
                    return status, payload
                log.warning("Bot API answered %d; retry %d of %d", status, attempt, ATTEMPTS - 1)
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")
