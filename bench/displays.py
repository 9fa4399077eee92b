"""Room displays under load: 200 displays open while check-ins arrive at 30 a second.

The bot's web server and database run in this process; the 200 displays (five
screens in each of 40 rooms) are threads of a separate client process, each
holding its room's event stream open as the page does. The check-ins go to
the keynote; the delay is measured on each of its five screens. Check-ins are PINs
through the real Application. Measured: the delay from a check-in's commit to
the first poll that shows it (wall clock, shared by both processes), and the
bot's check-in rate for a burst with and without the displays, in one run.

Run: python -m bench.displays
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

from tornado.httpserver import HTTPServer

from bot.services import displays
from bot.web.server import make_app
from tests.harness import ORGANISER, BotHarness, User, free_port

DISPLAYS = 200
ROOMS = 40  # five screens a room (a projector and door screens), all polling their room's link
PACE = 30
PACED = 300  # 10 s of check-ins at 30 a second
BURST = 1500
DELAY_TARGET_S = 2.0
RATE_TARGET = 0.90

SCREENS = r"""
import http.client, json, os, sys, threading, time
host, port = sys.argv[1], int(sys.argv[2])
count, seconds = int(sys.argv[3]), float(sys.argv[4])
paths = json.loads(sys.stdin.read())
seen, lock, stop = [], threading.Lock(), time.time() + seconds

def screen(n):
    path = paths[n % len(paths)].replace("/state", "/events")
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", path)
    response = conn.getresponse()
    while True:
        line = response.fp.readline()
        if not line:
            return
        if line.startswith(b"data: ") and n % len(paths) == 0:  # the keynote's screens
            state = json.loads(line[6:])
            with lock:
                seen.append((n, time.time(), state["checked_in"]))

for n in range(count):
    threading.Thread(target=screen, args=(n,), daemon=True).start()
time.sleep(max(0.0, stop - time.time()))
with lock:
    print(json.dumps(seen), flush=True)
os._exit(0)  # the screens' threads are still reading their streams
"""


async def _event(tmp: Path) -> BotHarness:
    h = await BotHarness(tmp, PUBLIC_URL="https://attendance.example.org").start()
    sessions = "session_id,title,starts_at,ends_at,pin_in\n" + "".join(
        f"S{n},Session {n},2026-05-14 09:00,2026-05-14 18:00,{'KEY1IN' if n == 1 else f'ROOM{n}IN'}\n"
        for n in range(1, ROOMS + 1)
    )
    await h.send_document(ORGANISER, sessions.encode(), "s.csv")
    return h


async def _burst(h: BotHarness, first: int, count: int) -> float:
    payloads = [h._message(User(first + i, f"U{i}"), text="KEY1IN") for i in range(count)]
    started = time.perf_counter()
    await h.deliver(*payloads)
    return count / (time.perf_counter() - started)


async def _measure() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        h = await _event(Path(tmp))
        port = free_port()
        server = HTTPServer(make_app(h.ctx, h.processor, h.settings))
        server.listen(port, "127.0.0.1")
        try:
            paths = [
                (await displays.display_link(h.ctx, f"S{n}")).url.split("example.org", 1)[1] + "state"
                for n in range(1, ROOMS + 1)
            ]
            quiet_rate = await _burst(h, 100_000, BURST)
            seconds = PACED / PACE + 14  # the paced check-ins, then the busy burst
            pollers = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                SCREENS,
                "127.0.0.1",
                str(port),
                str(DISPLAYS),
                str(seconds),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            pollers.stdin.write(json.dumps(paths).encode())
            pollers.stdin.close()
            await asyncio.sleep(2)  # every screen is connected
            committed = []
            base = BURST
            started = time.perf_counter()
            for i in range(PACED):
                await asyncio.sleep(max(0.0, started + i / PACE - time.perf_counter()))
                await h.deliver(h._message(User(200_000 + i, f"P{i}"), text="KEY1IN"))
                committed.append((time.time(), base + i + 1))
            busy_rate = await _burst(h, 300_000, BURST)
            out, _ = await pollers.communicate()
        finally:
            server.stop()
            await h.stop()
    by_screen: dict[int, list[tuple[float, int]]] = {}
    for screen, at, count in json.loads(out):
        by_screen.setdefault(screen, []).append((at, count))
    delays = []  # for every check-in and every keynote screen: commit → the first poll showing it
    for polls in by_screen.values():
        polls.sort()
        for at, count in committed:
            shown = next((t for t, c in polls if t >= at and c >= count), None)
            if shown is not None:
                delays.append(shown - at)
    pushes = sum(len(p) for p in by_screen.values())
    return {"quiet": quiet_rate, "busy": busy_rate, "delays": delays, "pushes": pushes, "seconds": seconds}


def run() -> list[dict]:
    m = asyncio.run(_measure())
    delays = m["delays"]
    p95 = statistics.quantiles(delays, n=100)[94]
    return [
        {
            "figure": f"{DISPLAYS} displays open (events pushed), check-ins at {PACE}/s: commit → count on a display",
            "value": f"p95 {p95:.2f} s (p50 {statistics.median(delays):.2f} s)",
            "target": f"p95 ≤ {DELAY_TARGET_S:.0f} s",
            "comparison": f"{DISPLAYS} screens in {ROOMS} rooms; the keynote's 5 screens got {m['pushes']} pushes; "
            f"{len(delays)} (check-in, keynote screen) pairs",
        },
        {
            "figure": f"in-process PIN check-ins/s ({BURST} burst) while {DISPLAYS} displays are open",
            "value": f"{m['busy']:,.0f}/s = {m['busy'] / m['quiet']:.0%} of no displays",
            "target": f"≥ {RATE_TARGET:.0%} of no displays",
            "comparison": f"same run, no displays: {m['quiet']:,.0f}/s",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
