"""The loop of the bot's periodic passes (the reminder scheduler, the certificate check): one pass every
`interval` seconds until told to stop. A pass that fails is logged and tried again at the next turn;
a database that cannot store (a full disk, a read-only file) is one line without a traceback, as the
inbox says it, since the pass itself is fine and simply tries again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.storage.db import storage_trouble

log = logging.getLogger(__name__)


async def repeat(one_pass: Callable[[], Awaitable[object]], stop: asyncio.Event, interval: float, what: str) -> None:
    """Run `one_pass` every `interval` seconds until `stop` is set; `what` names it in the log."""
    while not stop.is_set():
        try:
            await one_pass()
        except Exception as exc:
            trouble = storage_trouble(exc)
            if trouble is not None:
                log.warning("%s could not store (%s); trying again in %.0f s", what, trouble.reason, interval)
            else:
                log.exception("%s failed; trying again in %.0f s", what, interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
