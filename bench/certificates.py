"""Certificates of attendance: 5,000 built and signed over worker processes (a realistic mix of
names: mostly Latin with diacritics, some Cyrillic, Chinese, Korean, Arabic; three to six sessions
each), each PDF's size, and the verification page's latency over HTTP.

`BENCH_CERTIFICATES` sets the count (default 5,000)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.files import certificate_signing
from bot.files.certificate_batch import signed_pdfs
from bot.files.certificate_pdf import Certificate, SessionLine

COUNT = int(os.environ.get("BENCH_CERTIFICATES", "5000"))
TARGET_SECONDS, TARGET_BYTES = 60.0, 300_000
PAGES = 400
NOW = datetime(2026, 6, 12, 17, tzinfo=UTC)

LATIN_FIRST = ["Zoë", "Chloé", "Amara", "Daniel", "José", "Łukasz", "Søren", "Ines", "François", "Gülşen", "Renée"]
LATIN_LAST = ["Ünal-Ångström", "Dvořák", "Müller", "Nuñez", "Ólafsdóttir", "Kowalczyk", "Brontë", "Smith", "Łęcka"]
OTHERS = {
    "cyrillic": (0.08, ["Ольга Смирнова", "Дмитрий Иванов", "Анна Кузнецова", "Сергей Попов"]),
    "chinese": (0.05, ["王小明", "李华", "张伟", "刘芳", "陈静怡"]),
    "korean": (0.04, ["김민준", "이서연", "박지훈", "최유나"]),
    "arabic": (0.03, ["محمد علي", "فاطمة الزهراء", "أحمد حسن", "ليلى منصور"]),
}
TITLES = [
    "Opening keynote: open data in public health",
    "Workshop — réutilisation des données publiques",
    "Panel: data licensing after 2025",
    "Hands-on: publishing CSV that machines can read",
    "Lightning talks",
    "Closing plenary and awards",
    "Data journalism clinic",
    "Privacy engineering for statisticians",
]


def certificates(count: int, seed: int = 7) -> tuple[list[Certificate], dict[str, int]]:
    rng = random.Random(seed)
    mix = dict.fromkeys(["latin", *OTHERS], 0)
    made = []
    for n in range(count):
        roll, script = rng.random(), "latin"
        for name, (share, _names) in OTHERS.items():
            if roll < share:
                script = name
                break
            roll -= share
        mix[script] += 1
        name = (
            f"{rng.choice(LATIN_FIRST)} {rng.choice(LATIN_LAST)}"
            if script == "latin"
            else rng.choice(OTHERS[script][1])
        )
        sessions = tuple(
            SessionLine(title, datetime(2026, 6, 11, 8, tzinfo=UTC) + timedelta(hours=2 * i), 45 + i, Decimal("0.75"))
            for i, title in enumerate(rng.sample(TITLES, rng.randint(3, 6)))
        )
        made.append(
            Certificate(
                number=f"BNCH-{n:04d}-XXXX",
                event_name="Open Data Summit 2026",
                event_starts=datetime(2026, 6, 11, 7, tzinfo=UTC),
                event_ends=datetime(2026, 6, 12, 16, tzinfo=UTC),
                attendee_name=name,
                attendee_id=f"REG-{n:04d}",
                sessions=sessions,
                total_credits=sum((s.credits for s in sessions), Decimal(0)),
                issuer="Open Data Society",
                statement="Accredited for continuing education by the Board of Examples.",
                issued_at=NOW,
                verify_url=f"https://attendance.example.org/verify/BNCH{n:04d}XXXX.{n:032x}",
                timezone=ZoneInfo("Europe/Paris"),
                language=rng.choice(["en", "en", "en", "de", "fr", "es"]),
            )
        )
    return made, mix


def _build() -> list[dict]:
    made, mix = certificates(COUNT)
    identity = certificate_signing.new_identity("Open Data Summit 2026", NOW)
    workers = os.cpu_count() or 1
    started = time.perf_counter()
    pdfs = signed_pdfs(made, identity, parallel=workers > 1, workers=workers)
    seconds = time.perf_counter() - started
    sizes = sorted(len(p) for p in pdfs)
    mixed = ", ".join(f"{k} {v}" for k, v in mix.items())
    met = "met" if seconds <= TARGET_SECONDS * COUNT / 5000 else "missed"
    return [
        {
            "figure": f"certificates: {COUNT:,} built and signed, {workers} worker processes ({mixed})",
            "value": f"{seconds:.1f} s ({COUNT / seconds:.0f}/s)",
            "target": f"≤ {TARGET_SECONDS * COUNT / 5000:.0f} s",
            "comparison": f"{seconds / (TARGET_SECONDS * COUNT / 5000):.2f}x target ({met})",
        },
        {
            "figure": "certificates: size per signed PDF, max / median",
            "value": f"{sizes[-1] / 1000:.0f} KB / {statistics.median(sizes) / 1000:.0f} KB",
            "target": "≤ 300 KB each",
            "comparison": f"max {sizes[-1] / TARGET_BYTES:.2f}x limit",
        },
    ]


async def _verify_page() -> list[dict]:
    import httpx

    from bot.domain import certificate_numbers as numbers
    from bot.services import certificates as service
    from tests.harness import BotHarness
    from tests.test_credits import ATTENDEES, LINKED, REGISTRATIONS, SESSIONS, attended, upload
    from tests.web import PUBLIC_URL, serve

    with tempfile.TemporaryDirectory() as tmp:
        h = await BotHarness(Path(tmp), PUBLIC_URL=PUBLIC_URL).start()
        try:
            for name, content in (("s.csv", SESSIONS), ("a.csv", ATTENDEES), ("r.csv", REGISTRATIONS)):
                await upload(h, content, name)
            for attendee_id, user_id in LINKED.items():
                await h.execute(
                    "UPDATE attendees SET telegram_user_id = ? WHERE attendee_id = ?", (user_id, attendee_id)
                )
            await attended(h)
            await service.release(h.ctx)
            secret = (await h.rows("SELECT value FROM settings WHERE key = 'certificate_secret'"))[0][0]
            number = (await h.rows("SELECT number FROM certificates WHERE state = 'valid'"))[0][0]
            path = f"/verify/{numbers.token(secret, number)}"
            async with serve(h), httpx.AsyncClient(timeout=20) as http:
                timings = []
                for n in range(PAGES):
                    # A different client address every 20 pages: the page allows 30 a minute per address.
                    headers = {"X-Forwarded-For": f"10.0.{n // 5000}.{(n // 20) % 250 + 1}"}
                    started = time.perf_counter()
                    response = await http.get(h.root + path, headers=headers)
                    timings.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.status_code
        finally:
            await h.stop()
    timings.sort()
    p95 = timings[int(0.95 * len(timings)) - 1]
    return [
        {
            "figure": f"certificates: verification page over HTTP, {PAGES} pages one after another",
            "value": f"p95 {p95 * 1000:.1f} ms (median {statistics.median(timings) * 1000:.1f} ms)",
            "target": "",
            "comparison": "",
        }
    ]


def run() -> list[dict]:
    rows = asyncio.run(_verify_page())
    return _build() + rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run())
