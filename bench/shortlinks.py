"""Building the ZIP of 500 A4 check-in posters at 300 DPI (one per shortlink)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bot.config import load_settings
from bot.services import imports, shortlinks
from bot.services.context import build_context
from bot.storage.db import Database

COUNT = 500


async def _measure() -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {"DATABASE_PATH": str(Path(tmp) / "b.db"), "BOT_USERNAME": "bench_bot"}, require_token=False
        )
        db = await Database(settings.database_path).open()
        ctx = await build_context(settings, db)
        sessions = "session_id,title,starts_at,ends_at\n" + "".join(
            f"S{i},Session number {i},2026-05-14 09:00,2026-05-14 10:00\n" for i in range(COUNT)
        )
        await imports.import_file(ctx, sessions.encode(), "s.csv")
        for i in range(COUNT):
            await shortlinks.set_shortlink(ctx, f"SL{i:03d}", f"S{i}")
        timings = {}
        for parallel in (True, False):
            start = time.perf_counter()
            data, _count = await shortlinks.shortlink_qr_zip(ctx, parallel=parallel)
            timings[parallel] = time.perf_counter() - start
        await db.close()
        return timings[True], timings[False], len(data)


def run() -> list[dict]:
    parallel, single, size = asyncio.run(_measure())
    return [
        {
            "figure": f"shortlink posters ZIP, {COUNT} A4 pages at 300 DPI (all cores)",
            "value": f"{parallel:.2f} s",
            "target": "≤ 30 s, ZIP ≤ 50 MB (bot upload limit)",
            "comparison": f"one thread: {single:.2f} s ({single / parallel:.1f}x); {size / 1e6:.1f} MB ZIP",
        }
    ]
