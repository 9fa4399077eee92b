"""`python -m bot` as a process, started the one way the demo, the tests and the benchmarks share.

* An explicit environment (`bot_environment`): every setting the bot reads is
  set, blank unless given, so neither a developer's shell nor a `.env` plays a
  part (python-dotenv never overrides a variable that is set, even to "").
* Started in a working directory of its own, its stdout and stderr appended to
  one log file across restarts (`BotProcess.log`, `problems`).
* Ready when it polls: `start(api)` waits until the emulator sees a new
  `getUpdates` call, and fails early with the log's last lines if it exits.
* Stopped with SIGTERM, as systemd or Docker would (`stop` returns the exit
  code), then SIGKILL if it lingers (`cleanup`, for `finally:`); `kill9` kills it
  outright, and `start` again restarts it on the same database.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from bot.config import SETTING_NAMES

REPO_ROOT = Path(__file__).resolve().parents[1]
# Passed through from our own environment; nothing else is (no proxies, no stray settings).
PASS_THROUGH = ("PATH", "HOME", "LD_LIBRARY_PATH", "SYSTEMROOT", "TMPDIR")
PROBLEM_MARKS = (" WARNING ", " ERROR ", " CRITICAL ", "Traceback", "Error:")
T = TypeVar("T")


class Polled(Protocol):
    """What `start` watches to know the bot is up: the emulator's count of getUpdates calls."""

    get_updates_calls: int


class BotDidNotStart(RuntimeError):
    """The process exited, or did not poll in time; the message has the log's last lines."""


class BotDidNotStop(RuntimeError):
    """The process was still running after SIGTERM's grace period, and was killed."""


def bot_environment(**settings: str) -> dict[str, str]:
    """The bot's whole environment: every setting in `SETTING_NAMES` blank, then `settings`."""
    env = {name: os.environ[name] for name in PASS_THROUGH if name in os.environ}
    env.update({name: "" for name in SETTING_NAMES})
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        LANG="C.UTF-8",
    )
    env.update(settings)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server about to start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the bot's SQLite database from outside, while it runs or after."""
    with sqlite3.connect(db_path, timeout=10) as conn:
        return [tuple(row) for row in conn.execute(sql, params)]


def run_to_exit(
    env: dict[str, str], workdir: Path, *args: str, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`python -m bot` (or `python *args`) run to its end, its output captured: for starts that must fail."""
    command = [sys.executable, *args] if args else [sys.executable, "-m", "bot"]
    return subprocess.run(
        command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )


class BotProcess:
    """`python -m <module>` (the bot unless told) in `workdir`; its output, every run's, goes to `log_path`."""

    def __init__(self, env: dict[str, str], workdir: Path, log_path: Path | None = None, module: str = "bot") -> None:
        self.env, self.workdir, self.module = env, Path(workdir), module
        self.log_path = log_path or self.workdir / "bot.log"
        self.proc: subprocess.Popen | None = None
        self.spawned_at = 0.0  # time.time() of the last start

    def start(self, api: Polled | None = None, timeout: float = 30) -> BotProcess:
        """Spawn it; with `api`, return once it has called getUpdates (it is up and polling)."""
        polls = api.get_updates_calls if api is not None else 0
        with open(self.log_path, "ab") as log:
            self.spawned_at = time.time()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module],
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if api is not None:
            self.wait_for(lambda: api.get_updates_calls > polls, timeout, "its first getUpdates call")
        return self

    def wait_for(self, predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.01) -> T:
        """`predicate()` once it is truthy; `BotDidNotStart` if the process exits or time runs out first."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if self.exit_code is not None:
                raise BotDidNotStart(
                    f"{self.module} exited with code {self.exit_code} while waiting for {what}:\n{self.tail()}"
                )
            if time.monotonic() >= deadline:
                raise BotDidNotStart(f"{self.module} did not get to {what} within {timeout:.0f} s:\n{self.tail()}")
            time.sleep(interval)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def exit_code(self) -> int | None:
        """None while it runs (or before it started)."""
        return self.proc.poll() if self.proc else None

    def kill9(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would: no chance to finish anything."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, as systemd or Docker would send; the exit code. `BotDidNotStop` (after SIGKILL)
        if it is still running `timeout` seconds later."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise BotDidNotStop(
                f"{self.module} did not stop within {timeout:.0f} s of SIGTERM and was killed"
            ) from None

    def cleanup(self, grace: float = 5) -> None:
        """Whatever happened, leave no process behind: SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    @property
    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.strip().splitlines()[-lines:])

    def problem_lines(self, limit: int = 60) -> list[str]:
        """The log's warning, error and traceback lines, the last `limit` of them."""
        lines = [
            line
            for line in self.log.splitlines()
            if any(mark in line for mark in PROBLEM_MARKS) and "PTBUserWarning" not in line
        ]
        return lines[-limit:]

    def problems(self, limit: int = 60) -> str:
        """The same as one text: enough to see why a step failed."""
        return "\n".join(self.problem_lines(limit)) or "(no warnings or errors in the bot log)"

    def errors(self) -> list[str]:
        """Problem lines that are not warnings."""
        return [line for line in self.problem_lines(limit=1000) if " WARNING " not in line]
