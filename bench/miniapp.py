"""Door scanning through the Mini App's API over HTTP, next to badge photos in the chat, in one run.

The bot's web server and database run in this process (the real tornado
application, a real SQLite file); the scans come from a separate client
process over keep-alive HTTP connections, each with valid `initData`, so the
client's work does not share this process's interpreter. Throughput: 128 door
scanners (the API allows one user 20 requests a second) sending distinct
badges as fast as answers come. Latency: 20 scans a second in all from four
doors, request to verdict. The photo path: the same badges as 1280-px photos sent to
the bot in the chat, update to reply, decoding included.

Run: python -m bench.miniapp
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.domain import badges
from tests.fakebot import TOKEN
from tests.harness import ORGANISER, BotHarness, User
from tests.images import badge_photo
from tests.miniapp import init_data_for
from tests.web import serve

DOORS = 128  # the API allows one user 20 requests a second: enough doors that none is held back
BURST = 2000
PACED = 200
PACE_PER_SECOND = 20
PACED_DOORS = 4  # four doors at 5 scans a second each: a busy entrance
PHOTOS = 60
THROUGHPUT_TARGET = 300
P95_TARGET_MS = 30.0

CLIENT = r"""
import http.client, json, sys, threading, time
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
jobs = json.loads(sys.stdin.read())
times, statuses, lock = [], [], threading.Lock()

def worker(my_jobs, pace):
    conn = http.client.HTTPConnection(host, port)
    for i, body in enumerate(my_jobs):
        if pace:
            delay = start + i / pace - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        sent = time.perf_counter()
        conn.request("POST", "/api/scanner/scan", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        with lock:
            times.append(time.perf_counter() - sent)
            statuses.append(response.status)

start = time.perf_counter()
groups = {}
for door, body in jobs:
    groups.setdefault(door, []).append(body)
pace = 0 if mode == "burst" else float(mode) / len(groups)  # the rate in all, shared by the doors
threads = [threading.Thread(target=worker, args=(bodies, pace)) for bodies in groups.values()]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"elapsed": time.perf_counter() - start, "times": times, "statuses": statuses}))
"""


async def _event(tmp: Path) -> BotHarness:
    h = await BotHarness(tmp, PUBLIC_URL="https://door.example.org").start()
    sessions = "session_id,title,starts_at,ends_at\nS1,Keynote,2026-05-14 09:00,2026-05-14 18:00\n"
    people = "attendee_id,name\n" + "".join(f"REG-{n:05d},Person {n}\n" for n in range(BURST + PACED + PHOTOS))
    await h.send_document(ORGANISER, sessions.encode(), "s.csv")
    await h.send_document(ORGANISER, people.encode(), "a.csv")
    for door in range(DOORS + PACED_DOORS):
        scanner = User(900_000 + door, f"Door{door}", f"door_{door}")
        await h.send(scanner, "/start")
        await h.send(ORGANISER, f"/scanner {scanner.id} all")
    return h


def _bodies(h: BotHarness, first: int, count: int, doors: range, tag: str) -> list[tuple[int, str]]:
    signed = int(h.clock.now.timestamp())
    init = {door: init_data_for(900_000 + door, TOKEN, f"Door{door}", signed) for door in doors}
    jobs = []
    for n in range(first, first + count):
        door = doors[n % len(doors)]
        code = badges.make_token(h.ctx.badge_secret, f"REG-{n:05d}", 1)
        body = {"initData": init[door], "session_id": "S1", "code": code, "scan_id": f"{tag}{n}"}
        jobs.append((door, json.dumps(body)))
    return jobs


async def _client(port: int, mode: str, jobs: list) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLIENT,
        "127.0.0.1",
        str(port),
        mode,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    out, _ = await process.communicate(json.dumps(jobs).encode())
    return json.loads(out)


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


async def _measure() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        h = await _event(Path(tmp))
        try:
            async with serve(h):
                burst = await _client(h.port, "burst", _bodies(h, 0, BURST, range(DOORS), "b"))
                paced = await _client(
                    h.port, str(PACE_PER_SECOND), _bodies(h, BURST, PACED, range(DOORS, DOORS + PACED_DOORS), "p")
                )
                photo_ms = []
                door = User(900_000, "Door0", "door_0")
                await h.send(door, "/scan S1")
                for n in range(BURST + PACED, BURST + PACED + PHOTOS):
                    photo = badge_photo(badges.make_token(h.ctx.badge_secret, f"REG-{n:05d}", 1), seed=n)
                    started = time.perf_counter()
                    calls = await h.send_photo(door, photo)
                    photo_ms.append(time.perf_counter() - started)
                    assert "GREEN" in calls[-1].text, calls[-1].text
                recorded = (await h.rows("SELECT COUNT(*) FROM attendance_log WHERE accepted = 1"))[0][0]
        finally:
            await h.stop()
    assert set(burst["statuses"]) == {200} and set(paced["statuses"]) == {200}, (
        set(burst["statuses"]),
        set(paced["statuses"]),
    )
    assert recorded == BURST + PACED + PHOTOS, recorded
    return {"burst": burst, "paced": paced, "photo": photo_ms}


def run() -> list[dict]:
    m = asyncio.run(_measure())
    rate = BURST / m["burst"]["elapsed"]
    paced, photo = m["paced"]["times"], m["photo"]
    photo_rate = len(photo) / sum(photo)
    return [
        {
            "figure": f"Mini App scans/s over HTTP, valid initData ({BURST} badges, {DOORS} scanners)",
            "value": f"{rate:,.0f}/s",
            "target": f"≥ {THROUGHPUT_TARGET}/s",
            "comparison": f"badge photos in the chat, one after another: {photo_rate:,.0f}/s "
            f"(the API {rate / photo_rate:.0f}x)",
        },
        {
            "figure": f"Mini App request → verdict at {PACE_PER_SECOND} scans/s: p50 / p95",
            "value": f"{_p(paced, 50):.1f} / {_p(paced, 95):.1f} ms",
            "target": f"p95 ≤ {P95_TARGET_MS:.0f} ms",
            "comparison": f"badge photo update → reply (decode included): p50 {_p(photo, 50):.0f} ms, "
            f"p95 {_p(photo, 95):.0f} ms",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
