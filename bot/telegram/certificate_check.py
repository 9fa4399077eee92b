"""The certificate check: every `INTERVAL` seconds once certificates are released, supersede the
certificates whose attendance changed and queue the message that tells each attendee
(`bot.services.certificate_updates.check`, a transaction per batch of attendees); the outbox sender sends
it, once. `bot/__main__.py` starts it next to the reminder scheduler. What a pass changed is logged.
"""

from __future__ import annotations

import asyncio
import logging

from bot.services import certificate_updates
from bot.services.context import AppContext
from bot.telegram import periodic

log = logging.getLogger(__name__)
INTERVAL = 60.0  # seconds between passes: an attendee hears of their new certificate at most this late


async def check(ctx: AppContext) -> certificate_updates.Check:
    """One pass; logs what it changed."""
    done = await certificate_updates.check(ctx)
    if done.superseded or done.withdrawn or done.issued:
        log.info(
            "certificates brought up to date (%d attendees looked at%s): %d superseded, %d withdrawn, %d issued",
            done.looked_at,
            ", everyone" if done.whole else "",
            done.superseded,
            done.withdrawn,
            done.issued,
        )
    return done


async def run(ctx: AppContext, stop: asyncio.Event) -> None:
    """Check every `INTERVAL` seconds until `stop` is set (bot.telegram.periodic)."""
    await periodic.repeat(lambda: check(ctx), stop, INTERVAL, "the certificate check")
