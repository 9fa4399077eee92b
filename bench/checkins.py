"""PIN check-ins per second through the real Application, the fake Bot API and
a real SQLite file on disk; synchronous=FULL (what the bot uses) next to
NORMAL in the same run."""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from tests.conftest import SESSIONS_CSV
from tests.harness import ORGANISER, BotHarness, User

BURST = 3000


async def _harness(tmp: str, synchronous: str) -> BotHarness:
    h = BotHarness(Path(tmp))
    await h.start()
    if synchronous != "FULL":
        await h.db.conn.execute(f"PRAGMA synchronous={synchronous}")
    await h.send_document(ORGANISER, SESSIONS_CSV.encode(), "s.csv")
    return h


async def burst_rate(synchronous: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        h = await _harness(tmp, synchronous)
        payloads = [h._message(User(100_000 + i, f"U{i}"), text="KEY1IN") for i in range(BURST)]
        start = time.perf_counter()
        await h.deliver(*payloads)
        elapsed = time.perf_counter() - start
        recorded = (await h.rows("SELECT COUNT(*) FROM attendance_log WHERE accepted = 1"))[0][0]
        await h.stop()
        assert recorded == BURST, recorded
        return BURST / elapsed


def run() -> list[dict]:
    full = asyncio.run(burst_rate("FULL"))
    normal = asyncio.run(burst_rate("NORMAL"))
    return [
        {"figure": f"in-process PIN check-ins/s ({BURST} burst, synchronous=FULL)", "value": f"{full:,.0f}/s",
         "target": "≥ 2,000/s", "comparison": f"synchronous=NORMAL: {normal:,.0f}/s (FULL is {full / normal:.2f}x)"},
    ]
