"""The reminder scheduler: every `INTERVAL` seconds, queue the reminders whose time has come.

`bot/__main__.py` starts it next to the outbox sender: `asyncio.create_task(reminders.run(ctx, stop))`.
It only queues (`bot.services.reminders.queue_due`, one transaction); the outbox sender sends, so a
reminder goes out once whatever happens to either. What a pass drops or finds missed is logged here.
"""

from __future__ import annotations

import asyncio
import logging

from bot import chat_texts
from bot.domain.times import format_local
from bot.services import reminders
from bot.services.context import AppContext
from bot.telegram import periodic

log = logging.getLogger(__name__)
INTERVAL = 20.0  # seconds between passes: a reminder goes out at most this late


async def check(ctx: AppContext) -> reminders.Pass:
    """One pass: queue what is due, and log what was dropped or missed."""
    done = await reminders.queue_due(ctx, chat_texts.reminder_text)
    for session_id, count in done.moved:
        log.info(
            "%d waiting reminder(s) of %s dropped: the session moved (its new time gets its own)", count, session_id
        )
    for session_id, count in done.expired:
        log.warning("%d reminder(s) of %s dropped: the session started before they could be sent", count, session_id)
    for session_id, starts_at, people in done.missed:
        log.warning(
            "reminders of %s (started %s) not sent to %d people: the bot was not running when they were due",
            session_id,
            format_local(starts_at, ctx.timezone),
            people,
        )
    if done.queued:
        log.info("%d reminder(s) queued", done.queued)
    return done


async def run(ctx: AppContext, stop: asyncio.Event) -> None:
    """Check every `INTERVAL` seconds until `stop` is set (bot.telegram.periodic)."""
    await periodic.repeat(lambda: check(ctx), stop, INTERVAL, "the reminder pass")
