"""Room displays under load: 200 displays open while check-ins arrive at 30 a second.

The bot's web server and database run in this process; the 200 displays (five
screens in each of 40 rooms) are threads of a separate client process at normal
priority, each holding its room's event stream open and idle between pushes, as
the page does. The check-ins go to the keynote; the delay is measured on each of
its five screens. Check-ins are PINs through the real Application. Measured: the
delay from a check-in's commit to the first push that shows it (wall clock,
shared by both processes), and the bot's check-in rate for a burst with and
without the displays open.

The machine is shared and noisy, so the rate is measured in five pairs of
bursts in one run, alternating which of a pair comes first (without, with;
with, without; ...), so that neither kind always runs on the larger database;
the figure is the median of the five ratios, with their spread. The bot's CPU
time per check-in, which another process's load disturbs less than the wall
clock, is reported beside it.

Run: python -m bench.displays
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tornado.web

from bot.services import displays
from tests.harness import ORGANISER, BotHarness, User
from tests.web import serve

DISPLAYS = 200
ROOMS = 40  # five screens a room (a projector and door screens), all on their room's link
PACE = 30
PACED = 300  # 10 s of check-ins at 30 a second
BURST = 1500
# Five pairs of bursts, alternating which of a pair runs first (and so on the smaller database).
ORDER = ("without", "with") + ("with", "without", "without", "with") * 2
DELAY_TARGET_S = 2.0
RATE_TARGET = 0.90

SCREENS = r"""
import http.client, json, os, sys, threading, time
host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
paths = json.loads(sys.stdin.readline())
seen, lock, connected = [], threading.Lock(), [0]

def screen(n):
    path = paths[n % len(paths)] + "events"
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", path)
    response = conn.getresponse()
    first = True
    while True:
        line = response.fp.readline()  # idle here between pushes, like a browser's EventSource
        if not line:
            return
        if not line.startswith(b"data: "):
            continue
        if first:
            first = False
            with lock:
                connected[0] += 1
                if connected[0] == count:
                    print("ready", flush=True)
        if n % len(paths) == 0:  # the keynote's screens
            state = json.loads(line[6:])
            with lock:
                seen.append((n, time.time(), state["checked_in"]))

for n in range(count):
    threading.Thread(target=screen, args=(n,), daemon=True).start()
sys.stdin.read()  # until the bench closes our stdin
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


class Screens:
    """The 200 displays: a client process holding their streams open until `close`."""

    def __init__(self, port: int, paths: list[str]) -> None:
        self.port, self.paths = port, paths

    async def open(self) -> Screens:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SCREENS,
            "127.0.0.1",
            str(self.port),
            str(DISPLAYS),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.process.stdin.write(json.dumps(self.paths).encode() + b"\n")
        await self.process.stdin.drain()
        ready = await asyncio.wait_for(self.process.stdout.readline(), 60)
        assert ready == b"ready\n", ready
        return self

    async def close(self) -> list[tuple[int, float, int]]:
        """Every push the keynote's screens received: (screen, wall-clock time, count shown)."""
        self.process.stdin.close()
        out = await self.process.stdout.read()
        await self.process.wait()
        await asyncio.sleep(0.5)  # the server has seen every stream end
        return json.loads(out)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _burst(h: BotHarness, first: int, count: int, screens: Screens | None) -> tuple[float, float, float]:
    """(check-ins a second, the bot's CPU ms per check-in, the screens' process CPU seconds meanwhile)."""
    payloads = [h._message(User(first + i, f"U{i}"), text="KEY1IN") for i in range(count)]
    gc.collect()  # the garbage of what ran before is not collected inside this burst's timing
    client = _cpu_seconds(screens.process.pid) if screens else 0.0
    started, cpu = time.perf_counter(), time.process_time()
    await h.deliver(*payloads)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    client = _cpu_seconds(screens.process.pid) - client if screens else 0.0
    return count / wall, 1000 * cpu / count, client


def _handler_argument(app: tornado.web.Application, name: str):
    return next(r.target_kwargs[name] for r in app.wildcard_router.rules if name in (r.target_kwargs or {}))


async def _measure() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        h = await _event(Path(tmp))
        try:
            async with serve(h) as app:
                changes, states = _handler_argument(app, "changes"), _handler_argument(app, "states")
                rates: dict[str, list[float]] = {"without": [], "with": []}
                cpu_ms: dict[str, list[float]] = {"without": [], "with": []}
                work: list[tuple[int, int, float]] = []  # per burst with displays: wake-ups, states, screens' CPU s
                committed: list[tuple[float, int]] = []
                pushes: list[tuple[int, float, int]] | None = None
                screens: Screens | None = None
                done = 0  # check-ins so far (all to the keynote, all by new people)
                paths = [
                    (await displays.display_link(h.ctx, f"S{n}")).url.split("example.org", 1)[1]
                    for n in range(1, ROOMS + 1)
                ]
                for n, kind in enumerate(ORDER):
                    if kind == "with" and screens is None:
                        screens = await Screens(h.port, paths).open()
                        if pushes is None:  # the first time: the paced check-ins and their delays
                            started = time.perf_counter()
                            for i in range(PACED):
                                await asyncio.sleep(max(0.0, started + i / PACE - time.perf_counter()))
                                await h.deliver(h._message(User(200_000 + i, f"P{i}"), text="KEY1IN"))
                                done += 1
                                committed.append((time.time(), done))
                    elif kind == "without" and screens is not None:
                        seen = await screens.close()
                        pushes = seen if pushes is None else pushes
                        screens = None
                    before = (changes.wakeups, states.computed)
                    rate, cpu, client = await _burst(h, 1_000_000 * (n + 1), BURST, screens)
                    rates[kind].append(rate)
                    cpu_ms[kind].append(cpu)
                    done += BURST
                    if kind == "with":
                        work.append((changes.wakeups - before[0], states.computed - before[1], client))
                if screens is not None:
                    seen = await screens.close()
                    pushes = seen if pushes is None else pushes
        finally:
            await h.stop()
    by_screen: dict[int, list[tuple[float, int]]] = {}
    for screen, at, count in pushes:
        by_screen.setdefault(screen, []).append((at, count))
    delays = []  # for every paced check-in and every keynote screen: commit → the first push showing it
    for shown in by_screen.values():
        shown.sort()
        for at, count in committed:
            first = next((t for t, c in shown if t >= at and c >= count), None)
            if first is not None:
                delays.append(first - at)
    keynote_pushes = sum(1 for _, at, _ in pushes if committed and committed[0][0] <= at <= committed[-1][0] + 1)
    return {"rates": rates, "cpu_ms": cpu_ms, "delays": delays, "pushes": keynote_pushes, "work": work}


def run() -> list[dict]:
    m = asyncio.run(_measure())
    delays, without, with_ = m["delays"], m["rates"]["without"], m["rates"]["with"]
    p95 = statistics.quantiles(delays, n=100)[94]
    ratios = [w / q for q, w in zip(without, with_, strict=True)]
    wakeups = "/".join(str(w) for w, _, _ in m["work"])
    computed = "/".join(str(c) for _, c, _ in m["work"])
    client = "/".join(f"{s:.2f}" for _, _, s in m["work"])
    cpu = m["cpu_ms"]
    cpu_ratio = statistics.median(q / w for q, w in zip(cpu["without"], cpu["with"], strict=True))
    return [
        {
            "figure": f"{DISPLAYS} displays open (events pushed), check-ins at {PACE}/s: commit → count on a display",
            "value": f"p95 {p95:.2f} s (p50 {statistics.median(delays):.2f} s)",
            "target": f"p95 ≤ {DELAY_TARGET_S:.0f} s",
            "comparison": f"{DISPLAYS} screens in {ROOMS} rooms; the keynote's 5 screens got {m['pushes']} pushes "
            f"in {PACED / PACE:.0f} s; {len(delays)} (check-in, keynote screen) pairs",
        },
        {
            "figure": f"in-process PIN check-ins/s ({BURST} burst) while {DISPLAYS} displays are open",
            "value": f"{statistics.median(ratios):.0%} of no displays (median of {len(ratios)} pairs; "
            f"{min(ratios):.0%}-{max(ratios):.0%})",
            "target": f"≥ {RATE_TARGET:.0%} of no displays",
            "comparison": "bursts in run order: "
            + ", ".join(
                f"{kind} {rate:,.0f}/s" for kind, rate in zip(ORDER, _in_run_order(without, with_), strict=True)
            )
            + f"; bot CPU per check-in without / with displays (medians): {statistics.median(cpu['without']):.2f} / "
            f"{statistics.median(cpu['with']):.2f} ms (ratio {cpu_ratio:.0%}); per burst with displays: {wakeups} "
            f"loop wake-ups, {computed} state computations, screens' process CPU {client} s",
        },
    ]


def _in_run_order(without: list[float], with_: list[float]) -> list[float]:
    left, right = iter(without), iter(with_)
    return [next(left) if kind == "without" else next(right) for kind in ORDER]


if __name__ == "__main__":
    for row in run():
        print(row)
