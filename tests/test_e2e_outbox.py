"""End-to-end: the outbox drained by `python -m bot` as a process, against the Bot API emulator.

A broadcast of a few hundred messages is written into the event's database while the bot runs
(as the command line would), and the bot is killed with SIGKILL twice in the middle of it: once
at the worst moment (Telegram has delivered a message and the bot dies before the answer) and once
at whatever moment the test gets to. The emulator answers 403 for people who blocked the bot and
429 above its flood limit, set below the bot's own pace so that 429s really happen. Check-ins sent
during the broadcast are answered before it ends. A SIGTERM in the middle of a broadcast, in
webhook mode, leaves nothing unknown.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot.storage import outbox
from bot.telegram.outbox import CONCURRENCY
from rehearsal.bot_process import BotProcess, free_port, query
from rehearsal.emulator import BotApiEmulator
from tests.test_e2e import TOKEN, bot_env, import_files, todays_agenda

TEXT = "The keynote moves to Hall B at 10:30."
RECIPIENTS = list(range(30_001, 30_401))
BLOCKED = set(RECIPIENTS[5::37])  # people who blocked the bot
WALK_INS = list(range(40_001, 40_021))  # check in while the broadcast goes out


def queue_broadcast(db: Path, chat_ids: list[int], text: str = TEXT) -> int:
    """What an organiser's announcement leaves in the database: a broadcast and one message per person."""
    now = datetime.now(UTC)
    conn = sqlite3.connect(db, timeout=10)
    try:
        with conn:
            broadcast = outbox.create_broadcast(conn, "announcement", now, text=text)
            planned = [
                outbox.Planned(c, {"method": "sendMessage", "params": {"chat_id": c, "text": text}}) for c in chat_ids
            ]
            assert outbox.enqueue(conn, broadcast, planned, now) == len(chat_ids)
        return broadcast
    finally:
        conn.close()


def in_state(db: Path, state: str) -> set[int]:
    return {row[0] for row in query(db, "SELECT chat_id FROM outbox WHERE state = ?", (state,))}


def broadcast_state(db: Path, broadcast: int) -> str:
    return query(db, "SELECT state FROM broadcasts WHERE id = ?", (broadcast,))[0][0]


def test_a_broadcast_survives_two_kills_reaching_nobody_twice_behind_check_ins(tmp_path):
    db = tmp_path / "event.db"
    recipients = set(RECIPIENTS)
    with BotApiEmulator(TOKEN, send_limit_per_s=25) as api:
        bot = BotProcess(bot_env(tmp_path, api.base_url, OPEN_REGISTRATION="true"), tmp_path)
        delivered = 0
        lock = threading.Lock()
        kill_at = {"count": 100}

        def on_send(method: str, chat_id: int | None) -> None:
            """Telegram has the message; the bot dies before it hears so (the unknowable case)."""
            nonlocal delivered
            with lock:
                if chat_id not in recipients:
                    return
                delivered += 1
                if delivered != kill_at["count"]:
                    return
                kill_at["chat"] = chat_id
            bot.proc.send_signal(signal.SIGKILL)
            bot.proc.wait(timeout=10)

        def progress() -> str:
            return f"{delivered} delivered, 429s: {api.too_many_requests}\n{bot.problems()}"

        in_flight_at_kills: list[int] = []
        try:
            bot.start(api)
            assert "imported" in import_files(api, bot, [("sessions.csv", todays_agenda())])[0]
            api.block(*BLOCKED)
            api.after_send = on_send
            broadcast = queue_broadcast(db, RECIPIENTS)

            # Kill 1: right after Telegram delivered the 100th message, before the bot heard back.
            assert bot.proc.wait(timeout=30) == -signal.SIGKILL, progress()
            in_flight_at_kills.append(len(in_state(db, "sending")))
            assert kill_at["chat"] in in_state(db, "sending")
            bot.start(api)

            # Kill 2: at whatever moment the test gets to, well into the broadcast.
            api.wait_for(lambda: delivered >= 250 or api.sent_counts()[RECIPIENTS[-1]], 60, message=progress)
            bot.kill9()
            in_flight_at_kills.append(len(in_state(db, "sending")))
            assert in_state(db, "waiting"), "the second kill came too late to be mid-broadcast"
            bot.start(api)

            for user in WALK_INS:
                api.push_message(user, "KEY1IN", f"Guest{user}")
            api.wait_for(lambda: broadcast_state(db, broadcast) == "done", 60, message=progress)
            api.wait_for(lambda: all(api.texts(user) for user in WALK_INS), 30, message=progress)
            assert bot.stop(timeout=15) == 0, bot.problems()
        finally:
            bot.cleanup()

    # Nobody got the announcement twice; 'sent' means exactly once, 'unknown' at most once.
    got = api.sent_counts()
    assert max(got[c] for c in RECIPIENTS) == 1
    sent, unknown, blocked = in_state(db, "sent"), in_state(db, "unknown"), in_state(db, "blocked")
    assert sent | unknown | blocked == recipients, query(db, "SELECT state, count(*) FROM outbox GROUP BY state")
    assert all(got[c] == 1 for c in sent)
    assert all(got[c] <= 1 for c in unknown)
    # At most CONCURRENCY messages were in flight at each kill, and only those are unknown.
    assert 1 <= in_flight_at_kills[0] <= CONCURRENCY and in_flight_at_kills[1] <= CONCURRENCY, in_flight_at_kills
    assert len(unknown) == sum(in_flight_at_kills), (in_flight_at_kills, sorted(unknown))
    assert kill_at["chat"] in unknown and got[kill_at["chat"]] == 1  # delivered, never heard: not sent again
    # People who blocked the bot are recorded as such, and were tried once.
    assert blocked == BLOCKED - unknown and all(got[c] == 0 for c in BLOCKED)
    assert all(api.forbidden[c] <= 1 for c in BLOCKED) and sum(api.forbidden.values()) >= len(blocked)
    assert api.too_many_requests > 0  # the flood limit was hit, and cost nothing but time

    # Check-ins during the broadcast: each recorded once, answered once, before the broadcast ended.
    per_user = dict(
        query(db, "SELECT actor_user_id, COUNT(*) FROM attendance_log WHERE accepted = 1 GROUP BY actor_user_id")
    )
    assert per_user == {user: 1 for user in WALK_INS}
    order = api.sent(method="sendMessage")
    replies = [i for i, s in enumerate(order) if s.chat_id in WALK_INS]
    assert [sum(1 for i in replies if order[i].chat_id == u) for u in WALK_INS] == [1] * len(WALK_INS)
    assert all("Checked in to S1" in order[i].text for i in replies)
    announced_after = sum(1 for s in order[max(replies) :] if s.chat_id in recipients)
    assert announced_after >= 30, f"only {announced_after} announcements went out after the last reply"

    assert bot.log.count("were being sent when the bot stopped") == sum(1 for n in in_flight_at_kills if n)
    assert "Traceback" not in bot.log, bot.problems()


def test_a_sigterm_mid_broadcast_in_webhook_mode_leaves_nothing_unknown(tmp_path):
    """The sender runs beside the web server too; a clean stop finishes what is in flight and claims
    nothing more, so the rest goes out after the next start and nobody is left unknown."""
    db = tmp_path / "event.db"
    recipients = list(range(50_001, 50_151))
    with BotApiEmulator(TOKEN, send_limit_per_s=30) as api:
        env = bot_env(
            tmp_path,
            api.base_url,
            WEBHOOK_URL="https://bot.example.org/tg-hook",
            WEBHOOK_SECRET="s3cret-webhook-token",
            WEB_LISTEN="127.0.0.1",
            WEB_PORT=str(free_port()),
        )
        bot = BotProcess(env, tmp_path)
        try:
            bot.start()
            bot.wait_for(lambda: api.calls_to("setWebhook"), 30, "setWebhook")
            broadcast = queue_broadcast(db, recipients)
            bot.wait_for(lambda: len(api.sent(method="sendMessage")) >= 40, 30, "40 announcements")
            assert bot.stop(timeout=15) == 0, bot.problems()
            assert not in_state(db, "sending")
            assert in_state(db, "waiting"), "the stop came too late to be mid-broadcast"
            bot.start()
            bot.wait_for(lambda: broadcast_state(db, broadcast) == "done", 60, "the end of the broadcast")
            assert bot.stop(timeout=15) == 0, bot.problems()
        finally:
            bot.cleanup()
    assert in_state(db, "sent") == set(recipients)
    assert api.sent_counts() == dict.fromkeys(recipients, 1)
    assert "were being sent when the bot stopped" not in bot.log and "Traceback" not in bot.log, bot.problems()
