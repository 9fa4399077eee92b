"""End-to-end figures: the real bot process (`python -m bot`) talking HTTP to the
local Bot API emulator (`rehearsal/emulator.py`), as it would talk to Telegram.

1. Overhead: PIN check-ins per second through the bot process, next to a bare
   python-telegram-bot echo bot (`bench/echo_bot.py`) answering the same
   messages on the same emulator, no flood limit. Time from the first push to
   the last reply. The bot runs with `RATE_LIMIT=false` here: with the rate
   limiter on (production), replies are paced at Telegram's 30/s by design,
   which is shown next to it.
2. Keynote rush: 5,000 walk-ins send the IN PIN within 60 s while the emulator
   enforces 30 messages/s with 429 + retry_after, bot in its production
   configuration. Every check-in must be recorded, every attendee answered
   once, and the queue of replies drained within 10 % of 5,000 / 30 s.
   The same rush again with the bot killed with SIGKILL twice during the drain
   (at a third and two thirds of the attendees answered) and restarted at once:
   every check-in recorded once, the drain within 1.25x the bound, and every
   attendee answered exactly once except those whose reply was in doubt at a
   kill (it had reached the chat, the update was not yet marked done): the
   rule (`bot.telegram.updates`) answers them again, so they get two. Each
   window is counted right after its kill from the emulator and the database.
3. Start-up: spawn to the first getUpdates call, and idle memory.

`python -m bench.e2e [--quick]`, or `BENCH_E2E_QUICK=1` under `make bench`: a
600 check-in rush (20 s bound) instead of 5,000. `BENCH_E2E_N` and
`BENCH_E2E_RUSH` override the message counts, `BENCH_E2E_ROUNDS` the rounds of figure 1;
`python -m bench.e2e --rush` runs figure 2 alone (both rushes).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from rehearsal.bot_process import BotProcess, bot_environment, query
from rehearsal.emulator import BotApiEmulator
from tests.agenda import running_now, shifted_agenda
from tests.conftest import SESSIONS_CSV

PIN = "KEY1IN"  # S1's IN PIN in SESSIONS_CSV; no access control, no capacity
USER_BASE = 5_000_000  # attendees' Telegram ids: USER_BASE + i
OVERHEAD_N = 2000
ROUNDS = 2  # figure 1: echo bot and attendance bot alternately, best of each
LIMITED_N = 300  # overhead with the production rate limiter: 10 s at 30/s
RUSH_N, QUICK_RUSH_N = 5000, 600
OFFER_RATE = 5000 / 60  # check-ins offered per second during the rush
FLOOD_LIMIT = 30  # messages/s the emulator allows, as Telegram does
KILLS = 2  # SIGKILLs during the second rush, at 1/3 and 2/3 of the attendees answered
KILLED_RUSH_TARGET = 1.25  # its drain against the bound
ATTEMPTS = 3  # a figure that failed is run again (the code may have changed under a running benchmark)
RETRY_PAUSE = 20.0
TOKEN = "123456:AAE_bench_token_xxxxxxxxxxxxxxxxxxx"  # the shape of a BotFather token; never a real one
ADMIN = 111


def bot_env(workdir: Path, api_url: str, **settings: str) -> dict[str, str]:
    """The bot's settings for a figure: one organiser, the event in Paris time, a database in `workdir`."""
    defaults = {
        "HOME": str(workdir),
        "BOT_TOKEN": TOKEN,
        "ADMIN_IDS": str(ADMIN),
        "DATABASE_PATH": str(workdir / "event.db"),
        "TELEGRAM_API_URL": api_url,
        "EVENT_TIMEZONE": "Europe/Paris",
    }
    return bot_environment(**{**defaults, **settings})


class Emulator(BotApiEmulator):
    """The test emulator plus cheap counters: when the first getUpdates came, and
    replies to attendees (polling `sent()`, a copy of every message, would load the emulator)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_poll_at: float | None = None
        self.replies: Counter[int] = Counter()
        self.first_reply_at: dict[int, float] = {}
        self.last_reply_at = 0.0

    def start(self) -> str:
        url = super().start()
        # The emulator writes an answer's headers and body in two sends; with Nagle on,
        # the body waits for the client's delayed ACK (~40 ms), which throttles any
        # client that waits for one answer before its next request (the echo bot: 22/s).
        # Telegram shows no such stall, so it is switched off for the figures here.
        self._server.RequestHandlerClass.disable_nagle_algorithm = True
        return url

    def _get_updates(self, params: dict) -> list[dict]:
        if self.first_poll_at is None:
            self.first_poll_at = time.time()
        return super()._get_updates(params)

    def _record_message(self, method: str, params: dict, files: dict) -> dict:
        message = super()._record_message(method, params, files)  # called with the emulator's lock held
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) >= USER_BASE:
            now = time.time()
            self.replies[int(chat_id)] += 1
            self.first_reply_at.setdefault(int(chat_id), now)
            self.last_reply_at = now
        return message

    @property
    def answered(self) -> int:
        """Attendees who got at least one reply."""
        return len(self.first_reply_at)


class Process(BotProcess):
    """The bot (or the echo bot) as the launcher starts it, with its CPU time and memory read from /proc."""

    def terminate(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop within 15 s."""
        self.cleanup(grace=15)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self, key: str = "VmRSS") -> float | None:
        """From /proc/<pid>/status: VmRSS (now) or VmHWM (peak since start), in MB."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1]) / 1024
        except (OSError, ValueError, AttributeError):
            pass
        return None


class MemorySampler:
    """Samples a process's RSS every 50 ms in a thread; keeps the peak."""

    def __init__(self, process: Process) -> None:
        self.process, self.peak = process, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.process.memory_mb() or 0.0)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _wait(api: Emulator, predicate, timeout: float, what: str, process: Process, interval: float = 0.01):
    """`predicate()` once truthy, failing early with the process's log when the process died."""
    return process.wait_for(predicate, timeout, what, interval=interval)


def _started(api: Emulator, process: Process) -> float:
    """Seconds from spawn to the first getUpdates call."""
    _wait(api, lambda: api.first_poll_at, 60, "the first getUpdates", process, interval=0.002)
    return api.first_poll_at - process.spawned_at


def _import_sessions(api: Emulator, bot: Process) -> None:
    api.push_document(
        ADMIN,
        shifted_agenda(SESSIONS_CSV, running_now("Europe/Paris")).encode(),
        "sessions.csv",
        first_name="Olga",
        username="olga_org",
    )
    reports = _wait(api, lambda: api.texts(ADMIN), 60, "the import report", bot)
    if "imported" not in reports[0]:
        raise RuntimeError(f"import failed: {reports[0]}")


def _started_again(api: Emulator, process: Process) -> float:
    """After a restart: seconds from spawn to its first getUpdates call."""
    polls = api.get_updates_calls
    process.wait_for(lambda: api.get_updates_calls > polls, 60, "its first getUpdates after a restart")
    return time.time() - process.spawned_at


def _parse_at(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def _check_in_rows(db: Path) -> list[tuple[int, float]]:
    """(Telegram user, time recorded) of every accepted IN by an attendee of the run."""
    rows = query(
        db,
        "SELECT actor_user_id, at FROM attendance_log WHERE accepted = 1 AND direction = 'IN' AND actor_user_id >= ?",
        (USER_BASE,),
    )
    return [(user, _parse_at(at)) for user, at in rows]


def _burst(api: Emulator, process: Process, n: int, per_reply_timeout: float) -> tuple[float, float]:
    """Push n PIN messages from n new users at once; seconds from the first push to the last reply,
    and the process's CPU milliseconds per message."""
    users = range(USER_BASE, USER_BASE + n)
    cpu = process.cpu_seconds()
    started = time.time()
    for user in users:
        api.push_message(user, PIN, f"Guest{user}")
    _wait(api, lambda: api.answered >= n, 60 + n * per_reply_timeout, f"{n} replies", process)
    return api.last_reply_at - started, (process.cpu_seconds() - cpu) * 1000 / n


# ---------------------------------------------------------------- figures 1 and 3


def echo_bot(n: int, workdir: Path) -> dict:
    with Emulator(TOKEN) as api:
        echo = Process(bot_env(workdir, api.base_url), workdir, module="bench.echo_bot")
        try:
            echo.start()
            startup = _started(api, echo)
            time.sleep(1.0)
            idle = echo.memory_mb()
            elapsed, cpu_ms = _burst(api, echo, n, 0.05)
            wrong = [s.text for s in api.sent() if s.chat_id and s.chat_id >= USER_BASE and s.text != PIN]
            if wrong or max(api.replies.values()) != 1:
                raise RuntimeError(f"echo bot answered wrongly: {wrong[:3]}")
            return {"rate": n / elapsed, "elapsed": elapsed, "cpu_ms": cpu_ms, "startup": startup, "idle_mb": idle}
        finally:
            echo.terminate()
            echo.cleanup()


def attendance_bot(n: int, rate_limit: bool, workdir: Path) -> dict:
    """The bot on a fresh database: start-up, idle memory, import, a burst of n check-ins;
    then a restart on the populated database (start-up again)."""
    db = workdir / "event.db"
    with Emulator(TOKEN) as api:
        env = bot_env(workdir, api.base_url, OPEN_REGISTRATION="true", RATE_LIMIT=str(rate_limit).lower())
        bot = Process(env, workdir)
        try:
            bot.start()
            startup = _started(api, bot)
            time.sleep(1.0)
            idle = bot.memory_mb()
            _import_sessions(api, bot)
            elapsed, cpu_ms = _burst(api, bot, n, 0.05 if not rate_limit else 0.1)
            rows = _check_in_rows(db)
            if len(rows) != n or len({user for user, _ in rows}) != n:
                raise RuntimeError(f"{len(rows)} check-ins recorded for {n} users\n{bot.problems()}")
            checked = sum(
                1 for s in api.sent() if s.chat_id and s.chat_id >= USER_BASE and "Checked in to S1" in s.text
            )
            if checked != n:
                raise RuntimeError(f"{checked} of {n} replies say 'Checked in'\n{bot.problems()}")
            after = bot.memory_mb()
            bot.terminate()
        finally:
            bot.cleanup()
    restart = None
    if not rate_limit:
        with Emulator(TOKEN) as api:
            env["TELEGRAM_API_URL"] = api.base_url
            bot = Process(env, workdir)
            try:
                bot.start()
                restart = _started(api, bot)
                bot.terminate()
            finally:
                bot.cleanup()
    return {
        "rate": n / elapsed,
        "elapsed": elapsed,
        "cpu_ms": cpu_ms,
        "startup": startup,
        "idle_mb": idle,
        "after_mb": after,
        "restart": restart,
    }


# ---------------------------------------------------------------- figure 2


def _in_doubt(api: Emulator, db: Path, update_of: dict[int, int]) -> set[int]:
    """Right after a kill: attendees whose reply reached the chat while their update was not marked done."""
    time.sleep(0.3)  # a request the process sent just before it died is recorded by now
    not_done = {row[0] for row in query(db, "SELECT update_id FROM updates WHERE done_at IS NULL")}
    with api._cond:
        replied = list(api.replies)
    return {user for user in replied if update_of.get(user) in not_done}


def keynote_rush(n: int, workdir: Path, kills: int = 0) -> dict:
    db = workdir / "event.db"
    users = list(range(USER_BASE, USER_BASE + n))
    pushed_at: dict[int, float] = {}
    update_of: dict[int, int] = {}
    in_doubt: Counter[int] = Counter()
    windows: list[int] = []
    restarts: list[float] = []
    stop = threading.Event()
    with Emulator(TOKEN, send_limit_per_s=FLOOD_LIMIT, retry_after=1) as api:
        bot = Process(bot_env(workdir, api.base_url, OPEN_REGISTRATION="true"), workdir)  # production settings
        try:
            bot.start()
            startup = _started(api, bot)
            _import_sessions(api, bot)
            time.sleep(2.0)  # let the import's traffic settle
            idle = bot.memory_mb()
            too_many_before = api.too_many_requests

            def offer() -> None:
                start = time.monotonic()
                for i, user in enumerate(users):
                    if stop.is_set():
                        return
                    delay = start + i / OFFER_RATE - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    pushed_at[user] = time.time()
                    update_of[user] = api.push_message(user, PIN, f"Guest{user}")

            pusher = threading.Thread(target=offer, daemon=True, name="rush-pusher")
            with MemorySampler(bot) as sampler:
                first_push = time.time()
                pusher.start()
                for kill in range(1, kills + 1):  # SIGKILL once a share of the attendees is answered
                    _wait(
                        api,
                        lambda k=kill: api.answered >= n * k // (kills + 1),
                        120 + 2 * n / FLOOD_LIMIT,
                        "replies before a kill",
                        bot,
                        interval=0.05,
                    )
                    bot.kill9()
                    window = _in_doubt(api, db, update_of)
                    in_doubt.update(window)
                    windows.append(len(window))
                    bot.start()
                    restarts.append(_started_again(api, bot))
                _wait(api, lambda: api.answered >= n, 120 + 2 * n / FLOOD_LIMIT, f"{n} replies", bot, interval=0.05)
                pusher.join(timeout=10)
            last_push = max(pushed_at.values())
            time.sleep(3.0)  # a duplicate reply would show up here
            after = bot.memory_mb()
            peak = max(sampler.peak, bot.memory_mb("VmHWM") or 0.0)
            unfinished = query(db, "SELECT COUNT(*) FROM updates WHERE done_at IS NULL")[0][0]
            sent = [s for s in api.sent() if s.chat_id and s.chat_id >= USER_BASE]
            too_many = api.too_many_requests - too_many_before
            bot.terminate()
        finally:
            stop.set()
            bot.cleanup()
    rows = _check_in_rows(db)
    recorded = {user: at for user, at in rows if user in pushed_at}
    checked = Counter(s.chat_id for s in sent if "Checked in to S1" in s.text)
    return {
        "n": n,
        "kills": kills,
        "windows": windows,
        "restarts": restarts,
        "as_the_rule_says": sum(1 for user in users if api.replies[user] == checked[user] == 1 + in_doubt[user]),
        "unanswered": sum(1 for user in users if api.replies[user] == 0),
        "startup": startup,
        "offered_in": last_push - first_push,
        "recorded": len(recorded),
        "rows": len(rows),
        "answered_once": sum(1 for user in users if api.replies[user] == 1 and checked[user] == 1),
        "replies": len(sent),
        "unfinished": unfinished,
        "drain": api.last_reply_at - first_push,
        "last_recorded": max(recorded.values(), default=first_push) - first_push,
        "max_record_lag": max((at - pushed_at[user] for user, at in recorded.items()), default=0.0),
        "max_reply_lag": max(api.first_reply_at[user] - pushed_at[user] for user in users),
        "too_many": too_many,
        "idle_mb": idle,
        "peak_mb": peak,
        "after_mb": after,
    }


def killed_rush(n: int, workdir: Path) -> dict:
    """Figure 2 again, with `KILLS` SIGKILLs during the drain."""
    return keynote_rush(n, workdir, KILLS)


# ---------------------------------------------------------------- the table


def _retrying(figure, *args):
    """Run a figure in a fresh directory; run it again after a failure."""
    for attempt in range(1, ATTEMPTS + 1):
        with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
            try:
                return figure(*args, Path(tmp))
            except Exception as exc:
                if attempt == ATTEMPTS:
                    raise
                print(
                    f"  {figure.__name__} failed ({type(exc).__name__}: {str(exc)[:2000]}); "
                    f"retrying in {RETRY_PAUSE:.0f} s",
                    file=sys.stderr,
                )
        time.sleep(RETRY_PAUSE)


class _Skipped(Exception):
    """Figure 1 is left out (`--rush`)."""


def _failed(figure: str, exc: Exception) -> dict:
    return {"figure": figure, "value": "failed", "target": "", "comparison": f"{type(exc).__name__}: {exc}"[:300]}


def _mb(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} MB"


def _killed_rush_rows(rush: dict) -> list[dict]:
    bound = rush["n"] / FLOOD_LIMIT
    doubt = sum(rush["windows"])
    once = rush["recorded"] == rush["n"] == rush["rows"] and rush["unfinished"] == 0
    told = rush["as_the_rule_says"] == rush["n"] and rush["unanswered"] == 0
    return [
        {
            "figure": f"keynote rush, bot killed with SIGKILL {rush['kills']}x during the drain and restarted: "
            f"{rush['n']:,} PIN check-ins offered in {rush['offered_in']:.0f} s, {FLOOD_LIMIT} msg/s: drain",
            "value": f"{rush['drain']:.1f} s = {rush['drain'] / bound:.2f}x bound",
            "target": f"≤ {bound * KILLED_RUSH_TARGET:.1f} s ({KILLED_RUSH_TARGET}x bound {bound:.1f} s)",
            "comparison": f"{rush['too_many']} × 429; restarts to the first getUpdates "
            + ", ".join(f"{r:.1f} s" for r in rush["restarts"])
            + ("" if rush["drain"] <= bound * KILLED_RUSH_TARGET else "  ← MISSED"),
        },
        {
            "figure": "keynote rush with the kills: check-ins recorded exactly once / attendees answered exactly once",
            "value": f"{rush['recorded']:,} / {rush['answered_once']:,} of {rush['n']:,}",
            "target": "all / all but the replies in doubt at a kill",
            "comparison": f"replies in doubt at the kills (reached the chat, update not yet marked done; the rule "
            f"sends them again): {' + '.join(map(str, rush['windows']))} = {doubt}, each answered twice; "
            f"{rush['as_the_rule_says']:,} of {rush['n']:,} got exactly what the rule says, {rush['unanswered']} "
            f"none; {rush['rows']:,} accepted IN rows, {rush['unfinished']} updates unfinished"
            + ("" if once and told else "  ← MISSED"),
        },
    ]


def run(quick: bool | None = None, only_rush: bool = False) -> list[dict]:
    if quick is None:
        quick = os.environ.get("BENCH_E2E_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}
    n = int(os.environ.get("BENCH_E2E_N") or OVERHEAD_N)
    rush_n = int(os.environ.get("BENCH_E2E_RUSH") or (QUICK_RUSH_N if quick else RUSH_N))
    rounds = int(os.environ.get("BENCH_E2E_ROUNDS") or ROUNDS)
    rows: list[dict] = []

    echo = bot = limited = None
    try:
        if only_rush:
            raise _Skipped
        # Alternate the two bots and keep each one's best round: the machine is shared and noisy.
        for _ in range(rounds):
            e, b = _retrying(echo_bot, n), _retrying(attendance_bot, n, False)
            echo = e if echo is None or e["rate"] > echo["rate"] else echo
            bot = b if bot is None or b["rate"] > bot["rate"] else bot
        limited = _retrying(attendance_bot, LIMITED_N, True)
        ratio = bot["rate"] / echo["rate"]
        rows.append(
            {
                "figure": f"end-to-end PIN check-ins/s, bot process over HTTP emulator ({n:,} users, no flood limit, "
                f"RATE_LIMIT=false, best of {rounds})",
                "value": f"{bot['rate']:,.0f}/s = {ratio:.0%} of echo bot",
                "target": "≥ 70 % of echo bot",
                "comparison": f"bare PTB echo bot: {echo['rate']:,.0f}/s ({echo['elapsed']:.2f} s vs "
                f"{bot['elapsed']:.2f} s; process CPU {echo['cpu_ms']:.2f} vs {bot['cpu_ms']:.2f} ms "
                f"per message); with RATE_LIMIT on: {limited['rate']:,.0f}/s "
                f"({LIMITED_N} users, paced at 30/s by design)",
            }
        )
    except _Skipped:
        pass
    except Exception as exc:
        rows.append(_failed("end-to-end PIN check-ins/s vs echo bot", exc))

    try:
        rush = _retrying(keynote_rush, rush_n)
        bound = rush["n"] / FLOOD_LIMIT
        rows.append(
            {
                "figure": f"keynote rush: {rush['n']:,} PIN check-ins offered in {rush['offered_in']:.0f} s, "
                f"{FLOOD_LIMIT} msg/s flood limit: drain (first push → last reply)",
                "value": f"{rush['drain']:.1f} s = {rush['drain'] / bound:.2f}x bound",
                "target": f"≤ {bound * 1.1:.1f} s (bound {bound:.1f} s + 10 %)",
                "comparison": f"{rush['too_many']} × 429; last check-in recorded at +{rush['last_recorded']:.1f} s, "
                f"last reply at +{rush['drain']:.1f} s; "
                f"push → record ≤ {rush['max_record_lag']:.1f} s; push → reply ≤ "
                f"{rush['max_reply_lag']:.1f} s",
            }
        )
        complete = (
            rush["recorded"] == rush["n"] == rush["rows"] == rush["answered_once"] == rush["replies"]
            and rush["unfinished"] == 0
        )
        rows.append(
            {
                "figure": "keynote rush: check-ins recorded / attendees answered exactly once",
                "value": f"{rush['recorded']:,} / {rush['answered_once']:,} of {rush['n']:,}",
                "target": "all / all",
                "comparison": f"{rush['rows']:,} accepted IN rows, {rush['replies']:,} replies, "
                f"{rush['unfinished']} updates unfinished" + ("" if complete else "  ← MISSED"),
            }
        )
        rows.append(
            {
                "figure": "keynote rush: bot RSS idle / peak / after",
                "value": f"{_mb(rush['idle_mb'])} / {_mb(rush['peak_mb'])} / {_mb(rush['after_mb'])}",
                "target": "—",
                "comparison": "VmRSS sampled every 50 ms, VmHWM for the peak",
            }
        )
    except Exception as exc:
        rows.append(_failed("keynote rush", exc))

    try:
        rows.extend(_killed_rush_rows(_retrying(killed_rush, rush_n)))
    except Exception as exc:
        rows.append(_failed("keynote rush with two SIGKILLs", exc))

    if bot is not None and echo is not None:
        rows.append(
            {
                "figure": "bot start-up: spawn → first getUpdates (fresh database)",
                "value": f"{bot['startup']:.2f} s",
                "target": "—",
                "comparison": f"restart with {n:,} check-ins stored: {bot['restart']:.2f} s; "
                f"bare PTB echo bot: {echo['startup']:.2f} s",
            }
        )
        rows.append(
            {
                "figure": "bot idle memory (RSS after start-up)",
                "value": _mb(bot["idle_mb"]),
                "target": "—",
                "comparison": f"bare PTB echo bot: {_mb(echo['idle_mb'])}; bot after {n:,} check-ins: "
                f"{_mb(bot['after_mb'])}",
            }
        )
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run(quick=True if "--quick" in sys.argv[1:] else None, only_rush="--rush" in sys.argv[1:]))
