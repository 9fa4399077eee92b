"""End-to-end: `python -m bot` as a real process, talking HTTP to the local Bot API emulator.

These tests check what only a process can show: settings from the environment,
the polling loop against Telegram's offset rules, a clean stop on SIGTERM, and
that a check-in survives `kill -9` at any moment, counted exactly once.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rehearsal.bot_process import REPO_ROOT, BotProcess, bot_environment, query, run_to_exit
from rehearsal.emulator import BotApiEmulator
from tests.agenda import running_now, shifted_agenda
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV

TOKEN = "123456:AAE_e2e_token_xxxxxxxxxxxxxxxxxxxx"
ADMIN = 111


def todays_agenda() -> str:
    """The test agenda on the day the test runs, its first session running now (the bot checks windows)."""
    return shifted_agenda(SESSIONS_CSV, running_now("Europe/Paris"))


def bot_env(tmp_path: Path, api_url: str | None, **settings: str) -> dict[str, str]:
    """The tests' settings: HOME in tmp_path; with `api_url`, a token, one organiser and a database."""
    env = {"HOME": str(tmp_path)}
    if api_url is not None:
        env.update(
            BOT_TOKEN=TOKEN,
            ADMIN_IDS=str(ADMIN),
            DATABASE_PATH=str(tmp_path / "event.db"),
            TELEGRAM_API_URL=api_url,
            EVENT_TIMEZONE="Europe/Paris",
        )
    return bot_environment(**{**env, **settings})


def import_files(api: BotApiEmulator, bot: BotProcess, files: list[tuple[str, str]]) -> list[str]:
    """The organiser sends CSV files as documents; return the bot's import reports."""
    for name, content in files:
        api.push_document(ADMIN, content.encode(), name, first_name="Olga", username="olga_org")
    try:
        return api.wait_for(lambda: len(api.texts(ADMIN)) >= len(files) and api.texts(ADMIN), timeout=30)
    except TimeoutError:
        raise AssertionError(f"no import reports\n{bot.problems()}") from None


def http(url: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_emulator_follows_telegram_get_updates_and_flood_rules():
    """The emulator's contract, which the process tests below rely on."""
    with BotApiEmulator(TOKEN, send_limit_per_s=2) as api:
        api_url = f"{api.base_url}/bot{TOKEN}"
        first, second = api.push_message(1, "one"), api.push_message(1, "two")
        for _ in range(2):  # unconfirmed updates are delivered again and again
            assert [u["update_id"] for u in http(f"{api_url}/getUpdates", {})[1]["result"]] == [first, second]
        assert [u["update_id"] for u in http(f"{api_url}/getUpdates", {"offset": second})[1]["result"]] == [second]
        assert api.confirmed_offset == second and api.pending == 1  # `first` is gone for good

        threading.Timer(0.2, api.push_message, (1, "late")).start()
        started = time.monotonic()
        late = http(f"{api_url}/getUpdates", {"offset": second + 1, "timeout": 10})[1]["result"]
        assert [u["message"]["text"] for u in late] == ["late"] and time.monotonic() - started < 5

        waiting: dict[str, tuple] = {}
        poller = threading.Thread(
            target=lambda: waiting.setdefault(
                "answer", http(f"{api_url}/getUpdates", {"offset": late[0]["update_id"] + 1, "timeout": 10})
            )
        )
        poller.start()
        api.wait_for(lambda: api.get_updates_calls >= 5, timeout=5)
        http(f"{api_url}/getUpdates", {"timeout": 0})
        poller.join(timeout=10)
        assert waiting["answer"][0] == 409  # a newer getUpdates ends a waiting one

        answers = [http(f"{api_url}/sendMessage", {"chat_id": 5, "text": f"m{i}"}) for i in range(3)]
        assert [status for status, _ in answers] == [200, 200, 429]
        assert answers[2][1]["parameters"]["retry_after"] >= 1 and api.too_many_requests == 1
        assert [s.text for s in api.sent(5)] == ["m0", "m1"]
        assert http(f"{api.base_url}/bot1:wrong/getMe")[0] == 401


def test_emulator_runs_as_a_process_with_a_control_api(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "rehearsal.emulator", "--port", "0"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = proc.stdout.readline()
        root = banner.split(" on ", 1)[1].split()[0]
        assert http(f"{root}/control/message", {"user_id": 42, "text": "/start"})[0] == 200
        updates = http(f"{root}/bot{TOKEN}/getUpdates", {})[1]["result"]
        assert updates[0]["message"]["entities"][0]["type"] == "bot_command"
        http(f"{root}/bot{TOKEN}/sendMessage", {"chat_id": 42, "text": "Hello"})
        assert [m["text"] for m in http(f"{root}/control/sent?chat_id=42")[1]["result"]] == ["Hello"]
        assert http(f"{root}/control/state")[1]["result"]["pending"] == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()


def test_bot_process_imports_checks_in_and_stops_cleanly(tmp_path):
    with BotApiEmulator(TOKEN) as api:
        env = bot_env(tmp_path, api.base_url)
        bot = BotProcess(env, tmp_path)
        try:
            bot.start()
            reports = import_files(
                api,
                bot,
                [
                    ("sessions.csv", todays_agenda()),
                    ("attendees.csv", ATTENDEES_CSV),
                    ("registrations.csv", REGISTRATIONS_CSV),
                ],
            )
            assert [r.split(":")[0] for r in reports] == [
                "✅ sessions.csv",
                "✅ attendees.csv",
                "✅ registrations.csv",
            ], reports
            assert all("imported" in r for r in reports), reports

            ada = 501  # imported as @ada_l, registered for S1
            api.push_message(ada, "/start", "Ada", "ada_l")
            api.push_message(ada, "KEY1IN", "Ada", "ada_l")
            last_id = api.push_message(ada, "/myattendance", "Ada", "ada_l")
            replies = api.wait_for(
                lambda: len(api.texts(ada)) >= 3 and api.texts(ada),
                timeout=20,
                message=lambda: f"Ada got {api.texts(ada)}\n{bot.problems()}",
            )
            assert "Hello, Ada Lovelace" in replies[0]
            assert "Checked in to S1 · Opening keynote" in replies[1]
            assert re.search(r"— in\s+— S1 · Opening keynote", replies[2]), replies[2]
            # The batch is confirmed to "Telegram" only after it was stored.
            api.wait_for(lambda: api.confirmed_offset == last_id + 1, timeout=10)
            assert api.pending == 0

            db = tmp_path / "event.db"
            rows = query(
                db,
                "SELECT attendee_id, session_id, direction, method, accepted, reason, actor_user_id, at "
                "FROM attendance_log",
            )
            assert [r[:7] for r in rows] == [("REG-1", "S1", "IN", "pin", 1, "ok", ada)]
            # Stored in UTC, shown in the event's time zone.
            at = datetime.strptime(rows[0][7], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
            assert f"at {at.astimezone(ZoneInfo('Europe/Paris')):%H:%M}." in replies[1]

            assert api.calls_to("getMe") and api.calls_to("deleteWebhook") and api.calls_to("setMyCommands")
            started = time.monotonic()
            assert bot.stop(timeout=10) == 0, bot.problems()
            assert time.monotonic() - started < 5, "SIGTERM should stop a polling bot within seconds"
        finally:
            bot.cleanup()
    assert "Traceback" not in bot.log, bot.problems()
    assert TOKEN not in bot.log, "the token must never reach the log"
    assert query(db, "SELECT COUNT(*) FROM updates WHERE done_at IS NULL") == [(0,)]


def test_without_a_token_the_bot_explains_botfather_and_exits_2(tmp_path):
    result = run_to_exit(bot_env(tmp_path, None), tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BotFather" in lines[0], result.stderr
    assert result.stdout == ""


def test_the_dotenv_of_the_working_directory_is_read(tmp_path):
    env = bot_env(tmp_path, None, TELEGRAM_API_URL="http://127.0.0.1:9")  # never the real Telegram
    del env["BOT_TOKEN"]
    (tmp_path / ".env").write_text("BOT_TOKEN=not-a-token\n")
    result = run_to_exit(env, tmp_path)
    assert result.returncode == 2 and "does not look like a BotFather token" in result.stderr, result.stderr


def test_kill_9_during_a_rush_records_each_check_in_once_and_answers_each_attendee_once(tmp_path):
    """200 walk-ins send the IN PIN while the bot is killed with SIGKILL three
    times and restarted: right after a getUpdates answer reached it (before or
    after it stored the batch), right when it confirms a batch to Telegram (the
    moment a bot that confirms before storing loses check-ins), and while it
    works through the rush. Every check-in is recorded exactly once, and every
    attendee is answered exactly once, except those whose reply was in doubt at
    a kill: it had reached the chat, but the update was not yet marked done.
    The rule (bot.telegram.updates: at least once) sends those a second,
    identical confirmation; the test takes each kill's window from the
    emulator (what reached the chat) and the database (what was marked done)
    right after the kill, and checks that those attendees, and they alone, got
    one more reply per window they were in. The emulator enforces a 30
    messages/s flood limit (429 + retry_after), so replies also wait on flood
    control, more so after each restart, when the new process does not know
    what the old one sent."""
    users = list(range(20_001, 20_201))
    user_set = set(users)
    update_of: dict[int, int] = {}
    db = tmp_path / "event.db"
    with BotApiEmulator(TOKEN, send_limit_per_s=30, max_batch=25) as api:
        bot = BotProcess(bot_env(tmp_path, api.base_url, OPEN_REGISTRATION="true"), tmp_path)

        def confirmations() -> Counter[int]:
            return Counter(
                s.chat_id
                for s in api.sent()
                if s.chat_id in user_set and ("Checked in to S1" in s.text or "already checked in to S1" in s.text)
            )

        def answered() -> set[int]:
            return set(confirmations())

        in_doubt: Counter[int] = Counter()  # attendee -> kills at which their reply was in doubt
        windows: list[int] = []

        def count_the_window() -> None:
            """Right after a kill: whose reply reached the chat while their update was not marked done."""
            time.sleep(0.3)  # a request the process sent just before it died is recorded by now
            not_done = {row[0] for row in query(db, "SELECT update_id FROM updates WHERE done_at IS NULL")}
            window = {user for user in confirmations() if update_of.get(user) in not_done}
            in_doubt.update(window)
            windows.append(len(window))

        def push_rush() -> None:
            for i, user in enumerate(users):
                update_of[user] = api.push_message(user, "key1in" if i % 3 == 0 else "KEY1IN", f"Guest{user}")
                if i % 10 == 9:
                    time.sleep(0.1)

        killed_at: list[list[int]] = []

        def kill_once(updates: list[dict]) -> None:
            ids = [u["update_id"] for u in updates if u["message"]["from"]["id"] in user_set]
            if ids and not killed_at:
                killed_at.append(ids)
                bot.proc.send_signal(signal.SIGKILL)

        def kill_at_hook(hook: str) -> list[int]:
            killed_at.clear()
            setattr(api, hook, kill_once)
            try:
                assert bot.proc.wait(timeout=20) == -signal.SIGKILL, bot.problems()
            finally:
                setattr(api, hook, None)
            count_the_window()
            return killed_at[0]

        pusher = threading.Thread(target=push_rush, daemon=True)
        try:
            bot.start()
            reports = import_files(api, bot, [("sessions.csv", todays_agenda())])
            assert "imported 3" in reports[0], reports
            pusher.start()
            kill_at_hook("after_delivery")
            bot.start()
            confirmed = kill_at_hook("on_confirm")
            # Telegram will never send these again: only the bot's database has them now.
            stored = query(db, f"SELECT COUNT(*) FROM updates WHERE update_id IN ({','.join(map(str, confirmed))})")
            assert stored == [(len(confirmed),)], f"confirmed before stored: {confirmed}"
            bot.start()
            api.wait_for(
                lambda: len(answered()) >= 100,
                timeout=30,
                message=lambda: (
                    f"stalled at {len(answered())} replies; 429s: {api.too_many_requests}\n{bot.problems()}"
                ),
            )
            bot.kill9()
            count_the_window()
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
            assert bot.stop(timeout=15) == 0, bot.problems()
        finally:
            bot.cleanup()

    per_user = dict(
        query(
            db,
            "SELECT actor_user_id, COUNT(*) FROM attendance_log WHERE accepted = 1 "
            "AND direction = 'IN' GROUP BY actor_user_id",
        )
    )
    assert per_user == {user: 1 for user in users}
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT update_id) FROM attendance_log") == [(200, 200)]
    assert query(db, "SELECT COUNT(*) FROM presence WHERE inside = 1 AND session_id = 'S1'") == [(200,)]
    assert query(db, "SELECT COUNT(*) FROM updates WHERE done_at IS NULL") == [(0,)]
    print(f"replies in doubt at each kill: {windows}")
    # Exactly once, but for the replies in doubt at a kill: one more for each window a person was in.
    got = confirmations()
    twice = {user: got[user] for user in users if got[user] != 1 + in_doubt[user]}
    assert not twice, f"replies not as the rule says (windows {windows}): {sorted(twice.items())[:10]}"
    assert sum(api.sent_counts()[user] for user in users) == len(users) + sum(windows), windows
    texts = [s.text for s in api.sent() if s.chat_id in user_set]
    assert not [t for t in texts if "went wrong" in t or "Not recorded" in t], texts
    assert "Traceback" not in bot.log, bot.problems()


def test_no_update_is_dropped_when_telegram_restarts_update_ids(tmp_path):
    with BotApiEmulator(TOKEN, first_update_id=700_000_001) as api:
        bot = BotProcess(bot_env(tmp_path, api.base_url), tmp_path)
        try:
            bot.start()
            api.push_message(42, "/start", "Zoe")
            api.wait_for(lambda: api.texts(42), timeout=20, message=bot.problems)
            assert bot.stop() == 0
        finally:
            bot.cleanup()
    # The event, a week or more later: Telegram picked a new, lower, starting id.
    with BotApiEmulator(TOKEN, first_update_id=5_001) as api:
        bot = BotProcess(bot_env(tmp_path, api.base_url), tmp_path)
        try:
            bot.start()
            update_id = api.push_message(42, "/myattendance", "Zoe")

            def outcome() -> str | None:
                if api.texts(42):
                    return "answered"
                # The bot stores before it confirms: confirmed and not stored means dropped unseen.
                if api.confirmed_offset > update_id and not query(
                    tmp_path / "event.db", "SELECT 1 FROM updates WHERE update_id = ?", (update_id,)
                ):
                    return f"dropped by offset {api.confirmed_offset}"
                return None

            assert api.wait_for(outcome, timeout=20, message=bot.problems) == "answered"
        finally:
            bot.cleanup()


def test_a_check_in_whose_reply_fails_once_is_still_confirmed_to_the_attendee(tmp_path):
    with BotApiEmulator(TOKEN) as api:
        bot = BotProcess(bot_env(tmp_path, api.base_url), tmp_path)
        try:
            bot.start()
            import_files(api, bot, [("sessions.csv", todays_agenda())])
            api.fail("sendMessage", status=502, description="Bad Gateway")
            api.push_message(42, "KEY1IN", "Zoe")
            db = tmp_path / "event.db"
            api.wait_for(
                lambda: (
                    any("Checked in to S1" in t for t in api.texts(42))
                    or (api.texts(42) and query(db, "SELECT COUNT(*) FROM updates WHERE done_at IS NULL") == [(0,)])
                ),
                timeout=20,
                message=bot.problems,
            )
            assert query(db, "SELECT actor_user_id, accepted FROM attendance_log") == [(42, 1)]
            assert any("Checked in to S1" in t for t in api.texts(42)), api.texts(42)
        finally:
            bot.cleanup()
