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


async def burst_rate(synchronous: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        h = BotHarness(Path(tmp), synchronous=synchronous)
        await h.start()
        await h.send_document(ORGANISER, SESSIONS_CSV.encode(), "s.csv")
        payloads = [h._message(User(100_000 + i, f"U{i}"), text="KEY1IN") for i in range(BURST)]
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
    return [
        {
            "figure": f"in-process PIN check-ins/s ({BURST} burst, synchronous=FULL)",
            "value": f"{full:,.0f}/s",
            "target": "≥ 2,000/s",
            "comparison": f"bare PTB echo, same fake API: {echo:,.0f}/s ({full / echo:.0%} of it); "
            f"synchronous=NORMAL: {normal:,.0f}/s",
        },
    ]
