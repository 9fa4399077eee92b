"""Start-up that cannot succeed: `python -m bot` as a real process says what to fix in one line.

A refused token, an unreachable Bot API server, a webhook Telegram refuses and a
refusal from the event database each end with exit code 2 and one "Cannot start:"
line on stderr, no traceback, and never the token. An empty ADMIN_IDS starts
the bot with a warning. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rehearsal.bot_process import BotProcess, free_port, run_to_exit
from rehearsal.emulator import BotApiEmulator
from tests.conftest import SESSIONS_CSV
from tests.test_cli_paths import DATABASE_MISTAKES, bad_database
from tests.test_e2e import TOKEN, bot_env

WRONG_TOKEN = "654321:AAE_not_the_token_xxxxxxxxxxxxxxxxx"  # well-formed, unknown to the emulator
WEBHOOK_SECRET = "s3cret-token-for-tests_0123456789"
ADMIN_WARNING = (
    "WARNING bot: ADMIN_IDS is empty: nobody can use the organiser commands. "
    "Put your numeric Telegram id in ADMIN_IDS (ask @userinfobot)."
)


def start_bot(tmp_path: Path, api_url: str, *args: str, **settings: str) -> subprocess.CompletedProcess:
    return run_to_exit(bot_env(tmp_path, api_url, RATE_LIMIT="false", **settings), tmp_path, *args, timeout=20)


def refusal(result: subprocess.CompletedProcess, *tokens: str) -> str:
    """The one line a refused start prints; fails unless the start was refused as promised."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("Cannot start: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for token in tokens:
        assert token not in result.stdout + result.stderr, "the token must never be printed"
    return lines[0]


def test_a_token_telegram_refuses_is_one_line_and_exit_2(tmp_path):
    with BotApiEmulator(TOKEN) as api:
        result = start_bot(tmp_path, api.base_url, BOT_TOKEN=WRONG_TOKEN)
    line = refusal(result, WRONG_TOKEN, WRONG_TOKEN.split(":", 1)[1])
    assert line == (
        "Cannot start: Telegram refused BOT_TOKEN (401 Unauthorized). "
        "Copy the token again from @BotFather (/mybots → API Token) into .env."
    )
    assert list(tmp_path.glob("event.db*")) == [], "a refused start creates no event database"


def test_an_unreachable_bot_api_server_is_one_line_and_exit_2(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = start_bot(tmp_path, url)
    line = refusal(result, TOKEN, TOKEN.split(":", 1)[1])
    assert line == (
        f"Cannot start: the Bot API server at {url} cannot be reached: Connection refused. "
        "Check the network or TELEGRAM_API_URL."
    )
    assert list(tmp_path.glob("event.db*")) == [], "a start that never reached Telegram creates no event database"
    assert time.monotonic() - started < 10, "start-up should give up within seconds, not retry for long"


def test_a_webhook_url_telegram_refuses_is_one_line_and_exit_2(tmp_path):
    with BotApiEmulator(TOKEN) as api:
        api.fail("setWebhook", 400, description="Bad Request: bad webhook: Failed to resolve host")
        result = start_bot(
            tmp_path,
            api.base_url,
            WEBHOOK_URL="https://bot.example.org/tg-hook",
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(free_port()),
        )
        assert not api.calls_to("setWebhook")  # the refused call is not recorded as done
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout
    # The bot has said it is running (getMe worked) and its web server is listening before Telegram
    # refused the webhook: those log lines come first, the refusal is the last line and the only other one.
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert " INFO bot: @attendance_e2e_bot is running" in lines[0], result.stderr
    assert all(" INFO " in line for line in lines[:-1]), result.stderr
    assert lines[-1] == (
        "Cannot start: Telegram refused WEBHOOK_URL=https://bot.example.org/tg-hook: Bad webhook: failed to resolve "
        "host. Use a public https:// address on port 443, 80, 88 or 8443 that reaches this bot, "
        "or leave WEBHOOK_URL empty to poll instead."
    )


@pytest.mark.parametrize("server", ["webhook", "mini app"])
def test_a_web_port_in_use_is_one_line_and_exit_2(tmp_path, server):
    with BotApiEmulator(TOKEN) as api, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        if server == "webhook":
            settings = dict(WEBHOOK_URL="https://bot.example.org/tg-hook", WEBHOOK_SECRET=WEBHOOK_SECRET)
        else:
            settings = dict(PUBLIC_URL="https://attendance.example.org")
        result = start_bot(tmp_path, api.base_url, WEB_LISTEN="127.0.0.1", WEB_PORT=str(port), **settings)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1] == (
        f"Cannot start: cannot listen on 127.0.0.1:{port} for the web server: [Errno 98] Address already in use. "
        "Change WEB_LISTEN or WEB_PORT."
    )


def test_a_refusal_from_the_event_database_is_one_line_and_exit_2(tmp_path):
    """`build_context` may raise StartupRefused; here it is made to, so the test needs no particular database.
    An existing event is read before any network call, so the server need not answer."""
    make_event(tmp_path)
    script = (
        "import runpy, bot.services.context as c\n"
        "async def refuse(*args, **kwargs):\n"
        "    raise c.StartupRefused('this event database says no. Fix it like so.')\n"
        "c.build_context = refuse\n"
        "runpy.run_module('bot', run_name='__main__', alter_sys=True)\n"
    )
    result = start_bot(tmp_path, f"http://127.0.0.1:{free_port()}", "-c", script)
    assert refusal(result, TOKEN) == "Cannot start: this event database says no. Fix it like so."


def test_an_empty_admin_ids_is_a_warning_at_start_and_the_bot_still_runs(tmp_path):
    with BotApiEmulator(TOKEN) as api:
        bot = BotProcess(bot_env(tmp_path, api.base_url, ADMIN_IDS="", RATE_LIMIT="false"), tmp_path)
        try:
            bot.start()
            api.wait_for(lambda: api.get_updates_calls, timeout=10, message=lambda: bot.log)
            assert bot.stop(timeout=10) == 0, bot.problems()
        finally:
            bot.cleanup()
    warnings = [line for line in bot.log.splitlines() if "ADMIN_IDS" in line]
    assert len(warnings) == 1 and warnings[0].endswith(ADMIN_WARNING), bot.log
    assert "Traceback" not in bot.log and TOKEN not in bot.log


def make_event(tmp_path: Path, zone: str = "Europe/Paris") -> None:
    """An event database made by the command line, as an organiser would before the first start."""
    (tmp_path / "s.csv").write_text(SESSIONS_CSV)
    env = bot_env(tmp_path, "http://127.0.0.1:9", EVENT_TIMEZONE=zone)
    made = subprocess.run(
        [sys.executable, "-m", "admin_commands", "import", "s.csv"], cwd=tmp_path, env=env, capture_output=True
    )
    assert made.returncode == 0, made.stderr


def test_an_event_kept_in_another_zone_is_refused_before_any_network_call(tmp_path):
    make_event(tmp_path, "Europe/Paris")
    result = start_bot(tmp_path, f"http://127.0.0.1:{free_port()}", EVENT_TIMEZONE="Asia/Tokyo")
    assert refusal(result, TOKEN) == (
        f"Cannot start: this event's database ({tmp_path / 'event.db'}) keeps time zone Europe/Paris, but "
        "EVENT_TIMEZONE is Asia/Tokyo. Set EVENT_TIMEZONE=Europe/Paris (or remove it), or change the event's zone "
        "with attendance-admin timezone Asia/Tokyo."
    )


@pytest.mark.parametrize("kind", DATABASE_MISTAKES)
def test_a_database_path_that_cannot_hold_the_event_is_one_line_and_exit_2(tmp_path, kind):
    """Found before any network call (the server here is closed), and nothing is created."""
    path, sentence = bad_database(tmp_path, kind)
    before = files(tmp_path)
    result = start_bot(tmp_path, f"http://127.0.0.1:{free_port()}", DATABASE_PATH=str(path))
    assert refusal(result, TOKEN) == f"Cannot start: {sentence}"
    assert files(tmp_path) == before


def files(directory: Path) -> list[Path]:
    """What is in `directory`, but for the hidden caches and settings of the bot's libraries (HOME is there)."""
    return sorted(p for p in directory.rglob("*") if not p.relative_to(directory).parts[0].startswith("."))


TOKEN_SHAPE = (
    "Cannot start: BOT_TOKEN does not look like a BotFather token: it must be digits, a colon, then 20 or more "
    "letters, digits, _ or - (no spaces or quotes). Copy it again from @BotFather (/mybots → API Token)."
)


@pytest.mark.parametrize(
    "settings, line",
    [
        ({"BOT_TOKEN": "123456:short"}, TOKEN_SHAPE),
        ({"BOT_TOKEN": "bot123456:AAE_not_the_token_xxxxxxxxxxxxxxxxx"}, TOKEN_SHAPE),
        (
            {"EVENT_TIMEZONE": "Europe/Pari"},
            "Cannot start: EVENT_TIMEZONE='Europe/Pari' is not an IANA time zone name such as Europe/Paris.",
        ),
        (
            {"ADMIN_IDS": "olga"},
            "Cannot start: ADMIN_IDS contains 'olga': list numeric Telegram user ids separated by commas "
            "(ask @userinfobot for yours).",
        ),
        ({"WEB_PORT": "70000"}, "Cannot start: WEB_PORT=70000 is out of range: use a number from 1 to 65535."),
        ({"WEB_PORT": "0"}, "Cannot start: WEB_PORT must be at least 1."),
        (
            {"PUBLIC_URL": "http://attendance.example.org"},
            "Cannot start: PUBLIC_URL='http://attendance.example.org' must be the https:// address Telegram users "
            "reach this bot's web server at, e.g. https://attendance.example.org (Telegram opens Mini Apps over "
            "https only).",
        ),
        (
            {"WEBHOOK_URL": "http://bot.example.org/hook", "WEBHOOK_SECRET": WEBHOOK_SECRET},
            "Cannot start: WEBHOOK_URL='http://bot.example.org/hook' must be an https:// address (Telegram sends "
            "webhooks over https only), or leave it empty to poll instead.",
        ),
        (
            {"EVENT_TIMEZONE": '"Europe/Paris"'},
            'Cannot start: EVENT_TIMEZONE="Europe/Paris" is written in quotes that reached the bot: remove them.',
        ),
        (
            {"BOT_TOKEN": f"'{TOKEN}'"},
            "Cannot start: BOT_TOKEN is written in quotes that reached the bot: remove them.",
        ),
    ],
)
def test_a_setting_mistake_is_one_line_and_exit_2(tmp_path, settings, line):
    result = start_bot(tmp_path, f"http://127.0.0.1:{free_port()}", **settings)
    assert refusal(result, TOKEN) == line
    assert list(tmp_path.glob("event.db*")) == []


def test_a_dotenv_with_quotes_and_spaces_is_read_as_meant(tmp_path):
    """python-dotenv strips the quotes and the spaces around "=": the values arrive as meant."""
    env = bot_env(tmp_path, f"http://127.0.0.1:{free_port()}")
    for name in ("BOT_TOKEN", "EVENT_TIMEZONE", "ADMIN_IDS"):
        del env[name]
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN = \"{TOKEN}\"\nEVENT_TIMEZONE='Europe/Pari'  # the zone misspelt\nADMIN_IDS = 1, 2\n"
    )
    result = run_to_exit(env, tmp_path, timeout=20)
    assert refusal(result, TOKEN) == (
        "Cannot start: EVENT_TIMEZONE='Europe/Pari' is not an IANA time zone name such as Europe/Paris."
    )


def test_an_empty_database_path_is_the_default_file_in_the_working_directory(tmp_path):
    """Empty means the default, like every setting: attendance.db, created only once Telegram answered."""
    with BotApiEmulator(TOKEN) as api:
        env = bot_env(tmp_path, api.base_url, DATABASE_PATH="", RATE_LIMIT="false")
        bot = BotProcess(env, tmp_path)
        try:
            bot.start(api)
            assert bot.stop(timeout=10) == 0, bot.problems()
        finally:
            bot.cleanup()
    assert (tmp_path / "attendance.db").exists()
