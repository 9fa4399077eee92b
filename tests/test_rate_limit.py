"""The reply rate limiter: never more than the limit in any window, first come
first served, and a 429 delays a reply instead of dropping it."""

import asyncio
import time
from datetime import timedelta

from telegram.error import RetryAfter

from bot.telegram.rate_limit import SlidingWindowRateLimiter


async def test_at_most_per_window_in_any_window_and_in_order():
    limiter = SlidingWindowRateLimiter(per_window=5, window=0.2)
    await limiter.initialize()
    sent: list[tuple[int, float]] = []

    async def send(i):
        sent.append((i, time.monotonic()))
        return True

    await asyncio.gather(
        *(limiter.process_request(send, (i,), {}, "sendMessage", {"chat_id": i}, None) for i in range(17))
    )
    assert [i for i, _ in sent] == list(range(17))
    times = [t for _, t in sent]
    for k in range(len(times) - 5):
        assert times[k + 5] - times[k] >= 0.2 - 1e-3


async def test_retry_after_delays_and_resends():
    limiter = SlidingWindowRateLimiter(per_window=30, window=1.0)
    await limiter.initialize()
    attempts = []

    async def flaky():
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RetryAfter(timedelta(seconds=0.3))
        return True

    assert await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None) is True
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 0.29


async def test_requests_without_a_chat_are_not_counted():
    limiter = SlidingWindowRateLimiter(per_window=1, window=10)
    await limiter.initialize()

    async def ok():
        return True

    start = time.monotonic()
    for _ in range(5):
        await limiter.process_request(ok, (), {}, "getMe", {}, None)
    assert time.monotonic() - start < 1
