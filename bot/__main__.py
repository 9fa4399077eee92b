"""`python -m bot`: run the attendance bot (polling, or webhook when WEBHOOK_URL is set)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from dotenv import find_dotenv, load_dotenv

from bot.app import build_application
from bot.config import ConfigError, Settings, load_settings
from bot.handlers.menus import publish_commands
from bot.runner import UpdateProcessor, poll
from bot.services import scanning
from bot.services.context import build_context, remember_bot_username
from bot.storage.db import Database

log = logging.getLogger("bot")


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    db = await Database(settings.database_path).open()
    try:
        ctx = await build_context(settings, db)
        application = build_application(ctx)
        async with application:
            await remember_bot_username(ctx, application.bot.username)
            await publish_commands(application, ctx, await scanning.scanner_ids(ctx))
            processor = UpdateProcessor(application, ctx)
            await processor.resume_pending()
            log.info("@%s is running (database %s)", application.bot.username, settings.database_path)
            if settings.webhook_url:
                from bot.webhook import serve_webhook

                await serve_webhook(application, processor, settings, stop)
            else:
                await application.bot.delete_webhook()
                await poll(application, processor, stop)
            await processor.drain()
    finally:
        await db.close()


def main() -> None:
    load_dotenv(find_dotenv(usecwd=True))  # the .env of the working directory
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        sys.exit(2)

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    asyncio.run(runner())


if __name__ == "__main__":
    main()
