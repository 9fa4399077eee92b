"""Start-up that cannot succeed: `python -m bot` as a real process says what to fix in one line.

A refused token, an unreachable Bot API server, a webhook Telegram refuses and a
refusal from the event database each end with exit code 2 and one "Cannot start:"
line on stderr, no traceback, and never the token. An empty ADMIN_IDS starts
the bot with a warning. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from rehearsal.bot_process import BotProcess, free_port, run_to_exit
from rehearsal.emulator import BotApiEmulator
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


def test_an_unreachable_bot_api_server_is_one_line_and_exit_2(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = start_bot(tmp_path, url)
    line = refusal(result, TOKEN, TOKEN.split(":", 1)[1])
    assert line == (
        f"Cannot start: the Bot API server at {url} cannot be reached: Connection refused. "
        "Check the network or TELEGRAM_API_URL."
    )
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


def test_a_webhook_port_in_use_is_one_line_and_exit_2(tmp_path):
    with BotApiEmulator(TOKEN) as api, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = start_bot(
            tmp_path,
            api.base_url,
            WEBHOOK_URL="https://bot.example.org/tg-hook",
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
        )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1] == (
        f"Cannot start: cannot listen for the webhook on 127.0.0.1:{port}: [Errno 98] Address already in use. "
        "Change WEB_LISTEN or WEB_PORT."
    )


def test_a_refusal_from_the_event_database_is_one_line_and_exit_2(tmp_path):
    """`build_context` may raise StartupRefused; here it is made to, so the test needs no particular database."""
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
