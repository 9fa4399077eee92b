"""End-to-end: `python -m bot` as a real process, talking HTTP to the local Bot API emulator.

These tests check what only a process can show: settings from the environment,
the polling loop against Telegram's offset rules, a clean stop on SIGTERM, and
that a check-in survives `kill -9` at any moment, counted exactly once.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.emulator import BotApiEmulator

REPO_ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:AAE_e2e_token_xxxxxxxxxxxxxxxxxxxx"
ADMIN = 111
# Every setting the bot reads. Each is set (empty = default) in the child's
# environment: `load_dotenv()` never overrides a variable that is already set,
# and it looks for `.env` next to bot/__main__.py (walking up), not in the
# working directory, so this is what keeps a developer's .env out of the test.
SETTING_NAMES = ("BOT_TOKEN", "ADMIN_IDS", "DATABASE_PATH", "BADGE_SECRET", "EVENT_TIMEZONE", "OPEN_REGISTRATION",
                 "TELEGRAM_API_URL", "BOT_USERNAME", "PIN_ATTEMPT_LIMIT", "PIN_ATTEMPT_WINDOW_MINUTES", "QR_DECODER",
                 "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_LISTEN", "WEBHOOK_PORT", "RATE_LIMIT")


def bot_env(tmp_path: Path, api_url: str | None, **settings: str) -> dict[str, str]:
    env = {name: "" for name in SETTING_NAMES}
    env.update(PATH=os.environ.get("PATH", "/usr/bin:/bin"), PYTHONPATH=str(REPO_ROOT), PYTHONUNBUFFERED="1",
               PYTHONDONTWRITEBYTECODE="1", HOME=str(tmp_path), LANG="C.UTF-8")
    if api_url is not None:
        env.update(BOT_TOKEN=TOKEN, ADMIN_IDS=str(ADMIN), DATABASE_PATH=str(tmp_path / "event.db"),
                   TELEGRAM_API_URL=api_url, EVENT_TIMEZONE="Europe/Paris")
    env.update(settings)
    return env


class BotProcess:
    """`python -m bot` in tmp_path; its output (all runs) goes to bot.log."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.workdir = env, workdir
        self.log_path = workdir / "bot.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "BotProcess":
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=self.workdir, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, as systemd or Docker would send; return the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    @property
    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""

    def problems(self) -> str:
        """Warnings, errors and exception lines of the log: enough to see why a test failed."""
        lines = [line for line in self.log.splitlines()
                 if (" WARNING " in line or " ERROR " in line or " CRITICAL " in line or "Error:" in line)
                 and "PTBUserWarning" not in line]
        return "\n".join(lines[-60:]) or "(no warnings or errors in the bot log)"


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db_path, timeout=10) as conn:
        return [tuple(row) for row in conn.execute(sql, params)]


def import_files(api: BotApiEmulator, bot: BotProcess, files: list[tuple[str, str]]) -> list[str]:
    """The organiser sends CSV files as documents; return the bot's import reports."""
    for name, content in files:
        api.push_document(ADMIN, content.encode(), name, first_name="Olga", username="olga_org")
    try:
        return api.wait_for(lambda: len(api.texts(ADMIN)) >= len(files) and api.texts(ADMIN), timeout=30)
    except TimeoutError:
        raise AssertionError(f"no import reports; bot log:\n{bot.log}") from None


def test_bot_process_imports_checks_in_and_stops_cleanly(tmp_path):
    with BotApiEmulator(TOKEN) as api:
        env = bot_env(tmp_path, api.base_url)
        bot = BotProcess(env, tmp_path)
        try:
            bot.start()
            reports = import_files(api, bot, [("sessions.csv", SESSIONS_CSV), ("attendees.csv", ATTENDEES_CSV),
                                              ("registrations.csv", REGISTRATIONS_CSV)])
            assert [r.split(":")[0] for r in reports] == ["✅ sessions.csv", "✅ attendees.csv",
                                                          "✅ registrations.csv"], reports
            assert all("imported" in r for r in reports), reports

            ada = 501  # imported as @ada_l, registered for S1
            api.push_message(ada, "/start", "Ada", "ada_l")
            api.push_message(ada, "KEY1IN", "Ada", "ada_l")
            last_id = api.push_message(ada, "/myattendance", "Ada", "ada_l")
            replies = api.wait_for(lambda: len(api.texts(ada)) >= 3 and api.texts(ada), timeout=20,
                                   message=f"Ada got no 3 replies; bot log:\n{bot.log}")
            assert "Hello, Ada Lovelace" in replies[0]
            assert "Checked in to S1 · Opening keynote" in replies[1]
            assert "— in  — S1 · Opening keynote" in replies[2]
            # The batch is confirmed to "Telegram" only after it was stored.
            api.wait_for(lambda: api.confirmed_offset == last_id + 1, timeout=10)
            assert api.pending == 0

            db = tmp_path / "event.db"
            rows = query(db, "SELECT attendee_id, session_id, direction, method, accepted, reason, actor_user_id, at "
                             "FROM attendance_log")
            assert [r[:7] for r in rows] == [("REG-1", "S1", "IN", "pin", 1, "ok", ada)]
            # Stored in UTC, shown in the event's time zone.
            at = datetime.strptime(rows[0][7], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            assert f"at {at.astimezone(ZoneInfo('Europe/Paris')):%H:%M}." in replies[1]

            assert api.calls_to("getMe") and api.calls_to("deleteWebhook") and api.calls_to("setMyCommands")
            started = time.monotonic()
            assert bot.stop(timeout=10) == 0, bot.log
            assert time.monotonic() - started < 5, "SIGTERM should stop a polling bot within seconds"
        finally:
            bot.cleanup()
    assert "Traceback" not in bot.log, bot.log
    assert TOKEN not in bot.log, "the token must never reach the log"
    assert query(db, "SELECT COUNT(*) FROM updates WHERE done_at IS NULL") == [(0,)]


def test_without_a_token_the_bot_explains_botfather_and_exits_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=bot_env(tmp_path, None),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BotFather" in lines[0], result.stderr
    assert result.stdout == ""


def test_kill_9_during_a_rush_loses_no_check_in_and_counts_none_twice(tmp_path):
    """200 walk-ins send the IN PIN while the bot is killed with SIGKILL three
    times and restarted: once right after a getUpdates answer reached it (before
    it could store the batch), twice while it works through the rush. Every
    check-in is recorded exactly once and every attendee hears back. The
    emulator enforces a 30 messages/s flood limit (429 + retry_after), so
    replies also wait on flood control, more so after each restart."""
    users = list(range(20_001, 20_201))
    user_set = set(users)
    db = tmp_path / "event.db"
    with BotApiEmulator(TOKEN, send_limit_per_s=30, max_batch=25) as api:
        bot = BotProcess(bot_env(tmp_path, api.base_url, OPEN_REGISTRATION="true"), tmp_path)

        def answered() -> set[int]:
            return {s.chat_id for s in api.sent() if s.chat_id in user_set
                    and ("Checked in to S1" in s.text or "already checked in to S1" in s.text)}

        def push_rush() -> None:
            for i, user in enumerate(users):
                api.push_message(user, "key1in" if i % 3 == 0 else "KEY1IN", f"Guest{user}")
                if i % 10 == 9:
                    time.sleep(0.1)

        killed_batch: list[int] = []

        def kill_on_delivery(batch: list[dict]) -> None:
            if not killed_batch:
                killed_batch.extend(u["update_id"] for u in batch)
                bot.proc.send_signal(signal.SIGKILL)

        pusher = threading.Thread(target=push_rush, daemon=True)
        try:
            bot.start()
            reports = import_files(api, bot, [("sessions.csv", SESSIONS_CSV)])
            assert "imported 3" in reports[0], reports

            api.after_delivery = kill_on_delivery
            pusher.start()
            assert bot.proc.wait(timeout=20) == -signal.SIGKILL, bot.problems()
            api.after_delivery = None
            bot.start()
            for threshold in (40, 120):
                api.wait_for(lambda: len(answered()) >= threshold, timeout=30,
                             message=f"stalled at {len(answered())} replies (< {threshold}); 429s: "
                                     f"{api.too_many_requests}\n{bot.problems()}")
                bot.kill9()
                bot.start()
            pusher.join(timeout=10)
            try:
                api.wait_for(lambda: answered() == user_set, timeout=40)
            except TimeoutError:
                missing = sorted(user_set - answered())
                raise AssertionError(
                    f"{len(missing)} users got no reply: {missing[:10]}; texts to them: "
                    f"{[(s.chat_id, s.text[:50]) for s in api.sent() if s.chat_id in missing][:10]}; "
                    f"updates not done: {query(db, 'SELECT COUNT(*) FROM updates WHERE done_at IS NULL')}; "
                    f"unconfirmed in emulator: {api.pending}; 429s: {api.too_many_requests}\n{bot.problems()}"
                ) from None
            assert bot.stop(timeout=15) == 0, bot.log
        finally:
            bot.cleanup()

    assert killed_batch and all(api.deliveries[uid] >= 1 for uid in killed_batch)
    per_user = dict(query(db, "SELECT actor_user_id, COUNT(*) FROM attendance_log WHERE accepted = 1 "
                              "AND direction = 'IN' GROUP BY actor_user_id"))
    assert per_user == {user: 1 for user in users}
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT update_id) FROM attendance_log") == [(200, 200)]
    assert query(db, "SELECT COUNT(*) FROM presence WHERE inside = 1 AND session_id = 'S1'") == [(200,)]
    assert query(db, "SELECT COUNT(*) FROM updates WHERE done_at IS NULL") == [(0,)]
    texts = [s.text for s in api.sent() if s.chat_id in user_set]
    assert not [t for t in texts if "went wrong" in t or "Not recorded" in t], texts
    assert "Traceback" not in bot.log, bot.log
