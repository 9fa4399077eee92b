"""A bare python-telegram-bot echo bot: the baseline `bench.e2e` compares the
attendance bot with, on the same Bot API emulator.

Nothing but PTB's defaults: `ApplicationBuilder`, one `MessageHandler` that
replies with the text, `run_polling`. So the gap to the attendance bot is the
attendance bot's own work (inbox, rule engine, SQLite commits), not PTB's.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:8081 python -m bench.echo_bot
"""

from __future__ import annotations

import logging
import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = os.environ["TELEGRAM_API_URL"].rstrip("/")
    application = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
