"""Keeping replies under Telegram's flood limit without losing or bursting them.

Telegram lets a bot send about 30 messages a second in all. python-telegram-bot's
AIORateLimiter uses a leaky bucket that lets short bursts exceed 30 in a
second, and after a 429 it releases every waiting reply at once, which earns
the next 429. Measured in a keynote rush of 5,000 check-ins under an enforced
30/s limit: over 1,000 × 429 and a drain 20 % slower than 5,000/30 s.

This limiter lets at most `per_window` messages start in any sliding window
(slightly longer than a second, to stay clear of the server's own clock),
in arrival order; after a 429 everybody waits out `retry_after` and the
reply is sent again, so a flood limit delays a reply and never drops it.
Requests that are not messages to a chat (getMe, getFile, answering a button)
are not counted.

Replies go first. A message the bot sends on its own initiative (the outbox:
`bot.telegram.request.SPEAKING_FIRST` is set) takes a slot only while no reply
is waiting for one, so a broadcast of thousands fills the gaps between replies
and never makes the door wait behind it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.request import SPEAKING_FIRST

PER_WINDOW = 30
WINDOW_SECONDS = 1.05
MAX_RETRIES = 10


class SlidingWindowRateLimiter(BaseRateLimiter[None]):
    def __init__(
        self, per_window: int = PER_WINDOW, window: float = WINDOW_SECONDS, max_retries: int = MAX_RETRIES
    ) -> None:
        self.per_window = per_window
        self.window = window
        self.max_retries = max_retries
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._turn: asyncio.Lock | None = None
        self._later_turn: asyncio.Lock | None = None
        self._replies_waiting = 0

    async def initialize(self) -> None:
        self._turn = asyncio.Lock()
        self._later_turn = asyncio.Lock()

    async def shutdown(self) -> None:
        return None

    def _take_a_slot(self) -> float:
        """Take a slot now (0.0), or say how long to wait before one may be free."""
        now = time.monotonic()
        if now < self._paused_until:
            return self._paused_until - now
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        if len(self._sent) < self.per_window:
            self._sent.append(now)
            return 0.0
        return self.window - (now - self._sent[0])

    async def _wait_for_a_slot(self) -> None:
        self._replies_waiting += 1
        try:
            async with self._turn:  # first come, first served
                while wait := self._take_a_slot():
                    await asyncio.sleep(wait)
        finally:
            self._replies_waiting -= 1

    async def _wait_behind_replies(self) -> None:
        """A slot for the bot's own message: only while no reply waits for one."""
        async with self._later_turn:
            while True:
                if self._replies_waiting:
                    await asyncio.sleep(0.01)
                    continue
                wait = self._take_a_slot()
                if not wait:
                    return
                await asyncio.sleep(min(wait, 0.05))  # look again soon: a reply may have come

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Any:
        counted = "chat_id" in data
        later = SPEAKING_FIRST.get()
        for attempt in range(self.max_retries + 1):
            if counted:
                await (self._wait_behind_replies() if later else self._wait_for_a_slot())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    raise
                wait = (
                    exc.retry_after.total_seconds()
                    if hasattr(exc.retry_after, "total_seconds")
                    else float(exc.retry_after)
                )
                self._paused_until = max(self._paused_until, time.monotonic() + wait)
                if not counted:
                    await asyncio.sleep(wait)
        raise AssertionError("unreachable")
