"""Certificates of attendance: 5,000 built and signed over worker processes (a realistic mix of
names: mostly Latin with diacritics, some Cyrillic, Chinese, Korean, Arabic; three to six sessions
each), each PDF's size, the verification page's latency over HTTP, and the certificate check the
bot runs every minute after release (`_check_pass`). `python -m bench.certificates check` or `build`
runs only that part.

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


CHECK_ATTENDEES, CHECK_ROWS, CHECK_ROUNDS = 5_000, 100_000, 20


async def _longest_wait(db, stop: asyncio.Event) -> float:
    """The longest a one-row read waited for the database thread while `stop` is not set."""
    longest = 0.0
    while not stop.is_set():
        started = time.perf_counter()
        await db.read(lambda conn: conn.execute("SELECT 1").fetchone())
        longest = max(longest, time.perf_counter() - started)
        await asyncio.sleep(0.01)
    return longest


async def _check_pass() -> list[dict]:
    """The certificate check the bot runs every minute after release, on the reports' bench event
    (5,000 attendees, 100 sessions of 1 credit each, 20 visits a person, 100,000 check-ins and as
    many check-outs): a pass when nothing changed, when one person checked in again, and a whole
    pass (a setting changed) in transactions of `CHUNK` attendees, against everyone's credits
    worked out in one transaction (what release, the ZIP and send did before the check); with the
    longest a check-in would have waited for the database meanwhile."""
    from bench.reports import make_database
    from bot.config import load_settings
    from bot.services import certificate_updates, certificates, credits
    from bot.services.context import AppContext
    from bot.storage.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "event.db"
        await asyncio.to_thread(make_database, path, CHECK_ROWS)  # it runs its own event loop
        settings = load_settings({"EVENT_TIMEZONE": "UTC", "DATABASE_PATH": str(path)}, require_token=False)
        db = await Database(path).open()
        after = datetime(2026, 5, 17, tzinfo=UTC)  # every session has ended
        ctx = AppContext(db=db, settings=settings, badge_secret="bench", clock=lambda: after)

        async def watched(work) -> tuple[float, float, object]:
            stop = asyncio.Event()
            watcher = asyncio.create_task(_longest_wait(db, stop))
            started = time.perf_counter()
            result = await work()
            seconds = time.perf_counter() - started
            stop.set()
            return seconds, await watcher, result

        try:
            await db.write(lambda conn: conn.execute("UPDATE sessions SET credits = 1"))
            release_s, release_wait, issued = await watched(lambda: certificates.release(ctx))

            async def timed(before=None, rounds: int = CHECK_ROUNDS) -> list[float]:
                took = []
                for _ in range(rounds):
                    if before is not None:
                        await db.write(before)
                    started = time.perf_counter()
                    await certificate_updates.check(ctx)
                    took.append(time.perf_counter() - started)
                return took

            def one_check_in(conn) -> None:
                conn.execute(
                    "INSERT INTO attendance_log (at, direction, attendee_id, session_id, method, accepted, reason) "
                    "VALUES ('2026-05-16T23:00:00.000000Z', 'IN', 'REG-00042', 'S099', 'pin', 1, 'ok')"
                )

            unchanged = await timed()
            one_person = await timed(one_check_in)
            await db.write(
                lambda conn: conn.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES ('credit_rule', 'threshold 79')"
                )
            )
            whole_s, whole_wait, _ = await watched(lambda: certificate_updates.check(ctx))
            one_s, one_wait, _ = await watched(lambda: db.read(lambda conn: credits.everyone(conn, ctx)))
        finally:
            await db.close()
    median = statistics.median
    return [
        {
            "figure": f"certificate check after release, {CHECK_ATTENDEES:,} attendees / {CHECK_ROWS:,} check-ins "
            f"({issued:,} certificates; median of {CHECK_ROUNDS}): nothing changed",
            "value": f"{median(unchanged) * 1000:.1f} ms",
            "target": "cheap (runs every minute)",
            "comparison": f"a whole pass: {whole_s:.1f} s ({whole_s / median(unchanged):,.0f}x)",
        },
        {
            "figure": "certificate check: one person checked in since the last pass",
            "value": f"{median(one_person) * 1000:.1f} ms",
            "target": "",
            "comparison": "",
        },
        {
            "figure": f"certificate check: a whole pass (a setting changed), {certificate_updates.CHUNK} attendees "
            "a transaction: time / longest wait of a check-in's database call meanwhile",
            "value": f"{whole_s:.1f} s / {whole_wait * 1000:.0f} ms",
            "target": "",
            "comparison": f"everyone's credits in one transaction (release, ZIP and send before): {one_s:.1f} s / "
            f"{one_wait * 1000:,.0f} ms; release ({issued:,} issued) now: {release_s:.1f} s / "
            f"{release_wait * 1000:.0f} ms",
        },
    ]


def run() -> list[dict]:
    rows = asyncio.run(_verify_page()) + asyncio.run(_check_pass())
    return _build() + rows


if __name__ == "__main__":
    import sys

    from bench.__main__ import print_table

    parts = {"check": lambda: asyncio.run(_check_pass()), "build": _build}
    wanted = sys.argv[1:2]
    if wanted and wanted[0] not in parts:  # a misspelt part would otherwise run the whole benchmark
        raise SystemExit(f"usage: python -m bench.certificates [{' | '.join(parts)}]")
    print_table(parts[wanted[0]]() if wanted else run())
