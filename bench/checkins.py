"""PIN check-ins per second through the real Application, the fake Bot API and
a real SQLite file on disk, next to a bare python-telegram-bot echo handler
driven by the same fake API in the same run (the ceiling python-telegram-bot
itself sets), and synchronous=FULL (what the bot uses) next to NORMAL."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, MessageHandler, filters

from tests.conftest import SESSIONS_CSV
from tests.fakebot import TOKEN, FakeBotAPI
from tests.harness import ORGANISER, BotHarness, User

BURST = 3000


async def burst_rate(synchronous: str, language_code: str | None = None) -> float:
    """Walk-ins checking in by PIN; `language_code` is their Telegram app's language (None: not sent)."""
    with tempfile.TemporaryDirectory() as tmp:
        h = BotHarness(Path(tmp), synchronous=synchronous)
        await h.start()
        await h.send_document(ORGANISER, SESSIONS_CSV.encode(), "s.csv")
        users = [User(100_000 + i, f"U{i}", language_code=language_code) for i in range(BURST)]
        payloads = [h._message(user, text="KEY1IN") for user in users]
        start = time.perf_counter()
        await h.deliver(*payloads)
        elapsed = time.perf_counter() - start
        recorded = (await h.rows("SELECT COUNT(*) FROM attendance_log WHERE accepted = 1"))[0][0]
        await h.stop()
        assert recorded == BURST, recorded
        return BURST / elapsed


async def echo_rate() -> float:
    """The same updates through a bare Application whose only handler echoes."""

    async def echo(update: Update, context) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    api = FakeBotAPI()
    app = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).updater(None).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    with tempfile.TemporaryDirectory() as tmp:
        h = BotHarness(Path(tmp))  # only to build identical update payloads
        payloads = [h._message(User(100_000 + i, f"U{i}"), text="KEY1IN") for i in range(BURST)]
    async with app:
        start = time.perf_counter()
        await asyncio.gather(*(app.process_update(Update.de_json(p, app.bot)) for p in payloads))
        elapsed = time.perf_counter() - start
    assert len(api.sent("sendMessage")) == BURST
    return BURST / elapsed


def run() -> list[dict]:
    echo = asyncio.run(echo_rate())
    full = asyncio.run(burst_rate("FULL"))
    normal = asyncio.run(burst_rate("NORMAL"))
    # The same burst from German-speaking phones: every reply looked up in the German catalogue
    # and its time written by Babel (the English burst above is gettext's no-op path).
    german = asyncio.run(burst_rate("FULL", language_code="de"))
    return [
        {
            "figure": f"in-process PIN check-ins/s ({BURST} burst, synchronous=FULL)",
            "value": f"{full:,.0f}/s",
            "target": "≥ 2,000/s",
            "comparison": f"bare PTB echo, same fake API: {echo:,.0f}/s ({full / echo:.0%} of it); "
            f"synchronous=NORMAL: {normal:,.0f}/s",
        },
        {
            "figure": f"in-process PIN check-ins/s from German-speaking phones ({BURST} burst)",
            "value": f"{german:,.0f}/s = {german / full:.0%} of the English burst",
            "target": "—",
            "comparison": f"same run, app language not sent (English): {full:,.0f}/s",
        },
    ]
