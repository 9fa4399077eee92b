"""Organiser commands (PINs, invites) and becoming a known attendee."""

import asyncio
import csv
import io

import pytest

from bot.domain.pins import GENERATED_ALPHABET
from bot.telegram.application import ADMIN_HANDLERS
from tests.harness import ORGANISER, User

MALLORY = User(666, "Mallory", "mallory")


@pytest.mark.parametrize("command", sorted(ADMIN_HANDLERS))
async def test_non_admin_is_refused_every_admin_command(event, command, caplog):
    before = await event.rows("SELECT * FROM pins ORDER BY pin")
    reply = await event.reply_text(MALLORY, f"/{command} all S1 ABCD1234")
    assert reply == "Sorry, that command is for the event organisers only."
    assert await event.rows("SELECT * FROM pins ORDER BY pin") == before
    assert any("refused admin action" in r.message for r in caplog.records)


async def test_admin_commands_are_only_in_admins_menu(event):
    from bot.telegram.menus import publish_commands

    await publish_commands(event.app, event.ctx, [])
    menus = {
        c.params["scope"].get("chat_id", "default"): [b["command"] for b in c.params["commands"]]
        for c in event.api.sent("setMyCommands")
    }
    default, admin = menus["default"], menus[ORGANISER.id]
    assert "pins" not in default and "pins" in admin and "start" in default


async def test_pins_list_and_generate_new(event):
    text = await event.reply_text(ORGANISER, "/pins")
    assert "S1 Opening keynote: KEY1IN / KEY1OUT" in text and "S3 Lunch talk: — / —" in text
    assert "New PINs for 1 session." in await event.reply_text(ORGANISER, "/genpins new")
    pins = dict(await event.rows("SELECT direction, pin FROM pins WHERE session_id = 'S3'"))
    assert set(pins) == {"IN", "OUT"}
    for pin in pins.values():
        assert len(pin) == 6 and set(pin) <= set(GENERATED_ALPHABET)
    assert (await event.rows("SELECT pin FROM pins WHERE session_id = 'S1' AND direction = 'IN'")) == [("KEY1IN",)]


async def test_genpins_all_needs_confirmation_from_the_same_admin(event):
    calls = await event.send(ORGANISER, "/genpins all")
    yes = next(data for label, data in calls[-1].buttons if label.startswith("Yes"))
    # Another user pressing the button is refused; nothing changes.
    await event.press(MALLORY, yes)
    assert (await event.rows("SELECT pin FROM pins WHERE session_id = 'S1' AND direction = 'IN'")) == [("KEY1IN",)]
    calls = await event.press(ORGANISER, yes)
    assert "New PINs for 3 sessions." in calls[-1].text
    assert (await event.rows("SELECT COUNT(*) FROM pins WHERE pin LIKE 'KEY1%'")) == [(0,)]
    assert (await event.rows("SELECT COUNT(*) FROM pins")) == [(6,)]
    # The button cannot be used twice.
    calls = await event.press(ORGANISER, yes)
    assert "expired" in calls[-1].text


async def test_genpins_all_cancel(event):
    calls = await event.send(ORGANISER, "/genpins all")
    no = next(data for label, data in calls[-1].buttons if label == "Cancel")
    calls = await event.press(ORGANISER, no)
    assert "unchanged" in calls[-1].text
    assert (await event.rows("SELECT pin FROM pins WHERE session_id = 'S1' AND direction = 'IN'")) == [("KEY1IN",)]


@pytest.mark.parametrize(
    "args,message",
    [
        ("S3 ab12cd", "may contain only upper-case letters"),
        ("S3 AB-12", "may contain only upper-case letters"),
        ("S3 KEY1IN", "already the IN PIN of session S1"),
        ("S3 ABCD12 ABCD12", "must differ"),
        ("S404 ABCD12", "There is no session 'S404'"),
        ("S3", "Usage: /setpin"),
    ],
)
async def test_setpin_refusals(event, args, message):
    assert message in await event.reply_text(ORGANISER, f"/setpin {args}")
    assert (await event.rows("SELECT COUNT(*) FROM pins WHERE session_id = 'S3'")) == [(0,)]


async def test_setpin_sets_and_attendees_can_use_it(event):
    assert "S3: IN LUNCH1 / OUT LUNCH2" in await event.reply_text(ORGANISER, "/setpin s3 LUNCH1 LUNCH2")
    assert "Checked in to S3" in await event.reply_text(User(900, "Zed"), "lunch1")


async def test_invites_csv_and_invite_link_linking(event):
    calls = await event.send(ORGANISER, "/invites")
    name, data = calls[-1].file()
    assert name == "invite-links.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    bob = next(r for r in rows if r["attendee_id"] == "REG-2")
    assert bob["invite_link"].startswith("https://t.me/attendance_test_bot?start=")
    token = bob["invite_link"].split("start=")[1]

    phone = User(8001, "Robert")
    assert "now linked" in await event.reply_text(phone, f"/start {token}")
    assert (await event.rows("SELECT telegram_user_id FROM attendees WHERE attendee_id = 'REG-2'")) == [(8001,)]
    # A second account cannot take the same invite.
    assert "already linked to another" in await event.reply_text(User(8002, "Impostor"), f"/start {token}")
    # Unknown token.
    assert "not valid" in await event.reply_text(User(8003, "Lost"), "/start nonsense-token")
    # The organiser unlinks; now a new phone can use it.
    assert "unlinked" in await event.reply_text(ORGANISER, "/unlink REG-2")
    assert "now linked" in await event.reply_text(User(8002, "Robert new phone"), f"/start {token}")


async def test_auto_link_by_numeric_id_and_walk_in(event):
    assert "Hello, Cleo Patra" in await event.reply_text(User(333, "C"), "/start")
    assert "Hello, Walker" in await event.reply_text(User(4242, "Walker"), "/start")
    assert await event.rows(
        "SELECT attendee_id, walk_in FROM attendees WHERE telegram_user_id IN (333, 4242) ORDER BY attendee_id"
    ) == [("REG-3", 0), ("TG-4242", 1)]


async def test_walk_in_later_imported_is_moved_to_the_imported_record(event):
    await event.reply_text(User(5555, "Dana", "dana_d"), "/start")
    await event.send_document(ORGANISER, b"attendee_id,name,telegram\nREG-9,Dana Scully,@dana_d\n", "a.csv")
    assert "Hello, Dana Scully" in await event.reply_text(User(5555, "Dana", "dana_d"), "/start")


async def test_help_depends_on_role(event):
    assert "/genpins" not in await event.reply_text(MALLORY, "/help")
    assert "/genpins" in await event.reply_text(ORGANISER, "/help")


async def test_unknown_command_and_sticker(event):
    assert "don't know that command" in await event.reply_text(MALLORY, "/frobnicate")
    calls = await event.deliver(
        event._message(
            MALLORY,
            sticker={
                "file_id": "x",
                "file_unique_id": "x",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            },
        )
    )
    assert "I can only read text" in calls[-1].text


async def test_command_line_twins_share_the_operations(tmp_path, monkeypatch, capsys):
    import sqlite3

    from admin_commands.__main__ import run
    from tests.conftest import ATTENDEES_CSV, SESSIONS_CSV

    (tmp_path / "s.csv").write_text(SESSIONS_CSV)
    (tmp_path / "a.csv").write_text(ATTENDEES_CSV)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.db"))
    monkeypatch.setenv("BOT_USERNAME", "event_bot")
    monkeypatch.setenv("BADGE_SECRET", "a-test-secret-of-enough-length")
    assert await run(["import", str(tmp_path / "s.csv"), str(tmp_path / "a.csv")]) == 0
    assert await run(["access", "S1", "on"]) == 0
    assert await run(["capacity", "S1", "30"]) == 0
    assert await run(["acl", "include"]) == 0
    assert await run(["scanner", "424242", "S1", "S2"]) == 0
    assert await run(["shortlink", "SL001", "S1", "Hello", "there"]) == 0
    assert await run(["shortlink-qr", "-o", str(tmp_path / "sl.zip")]) == 0
    assert await run(["badges", "-o", str(tmp_path / "badges.zip")]) == 0
    capsys.readouterr()
    assert await run(["badge-token", "reg-1"]) == 0
    assert capsys.readouterr().out.startswith("B1:REG-1:1:")
    assert await run(["backup", str(tmp_path / "copy.db")]) == 0
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT access_control, capacity FROM sessions WHERE session_id = 'S1'").fetchone() == (1, 30)
    assert copy.execute("SELECT popup FROM shortlinks").fetchone() == ("Hello there",)
    assert copy.execute("SELECT session_id FROM scanner_sessions ORDER BY 1").fetchall() == [("S1",), ("S2",)]
    capsys.readouterr()
    assert await run(["capacity", "S404", "3"]) == 1
    assert capsys.readouterr().err == "There is no session 'S404'. attendance-admin pins lists the sessions.\n"
    assert await run(["capacity", "S1", "lots"]) == 1
    assert capsys.readouterr().err.startswith("Usage: attendance-admin capacity SESSION NUMBER|none")
    assert await run(["setpin", "S9", "ABCD"]) == 1
    assert "attendance-admin pins lists the sessions" in capsys.readouterr().err
    assert await run(["shortlinks"]) == 0
    assert "attendance-admin shortlink-qr" not in capsys.readouterr().out


async def test_an_edited_command_is_not_run_again(event):
    payload = event._message(
        ORGANISER, text="/genpins new", entities=[{"type": "bot_command", "offset": 0, "length": 8}]
    )
    payload["edited_message"] = payload.pop("message")
    payload["edited_message"]["edit_date"] = payload["edited_message"]["date"]
    calls = await event.deliver(payload)
    assert calls == []
    assert (await event.rows("SELECT COUNT(*) FROM pins WHERE session_id = 'S3'")) == [(0,)]


async def test_the_command_line_never_creates_an_event_by_reading_one(tmp_path, monkeypatch, capsys):
    from admin_commands.__main__ import run
    from tests.conftest import SESSIONS_CSV

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_PATH", raising=False)
    monkeypatch.setenv("EVENT_TIMEZONE", "Europe/Paris")
    for command in (["pins"], ["shortlink-qr"], ["report", "checkins", "-o", "r.xlsx"], ["timezone"]):
        assert await run(command) == 1
        assert capsys.readouterr().err.startswith(f"No event database at {tmp_path / 'attendance.db'}: import")
    assert await run(["import", "sessoins.csv"]) == 1  # a typo creates no event either
    assert capsys.readouterr().err == "sessoins.csv: no such file\n"
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "s.csv").write_text(SESSIONS_CSV)
    assert await run(["import", "s.csv"]) == 0
    assert "New event database at" in capsys.readouterr().err
    assert await run(["shortlink-qr"]) == 1  # nothing to print: an error, not an empty ZIP
    assert capsys.readouterr().err.startswith(
        "No shortlinks yet, so there is nothing to print. Usage: attendance-admin"
    )
    assert not (tmp_path / "shortlink-qr-codes.zip").exists()


async def test_an_organisers_menu_is_published_when_they_first_write(event):
    """At start Telegram refuses a chat-scoped menu for someone who never wrote to the bot."""
    from bot.telegram.menus import publish_commands

    for _ in range(2):  # the default menu, then the organiser's
        event.api.fail("setMyCommands", 400, description="Bad Request: chat not found")
    await publish_commands(event.app, event.ctx, [])
    assert event.api.sent("setMyCommands") == [] and not event.api.errors
    await event.send(ORGANISER, "/pins")
    await asyncio.gather(*event.app.bot_data.get("menus_publishing", ()))  # published in the background
    menus = event.api.sent("setMyCommands")
    assert {m.params["scope"].get("chat_id") for m in menus} == {ORGANISER.id}
    # Once for every app language the bot speaks, and once for the others, in the event's language.
    assert [m.params.get("language_code") for m in menus] == [None, "en", "de", "fr", "es"]
    assert "pins" in [b["command"] for b in menus[0].params["commands"]]
    event.api.calls.clear()
    await event.send(ORGANISER, "/pins")  # published now: not again
    assert event.api.sent("setMyCommands") == []


def test_setting_names_list_every_setting_the_bot_reads():
    """Child processes blank every name in SETTING_NAMES to keep a developer's .env out: a missing one leaks in."""
    import re
    from pathlib import Path

    import bot.config

    read = set(re.findall(r'env(?:\.get)?\(\s*"([A-Z0-9_]+)"', Path(bot.config.__file__).read_text()))
    read |= set(re.findall(r'_(?:bool|int)\(env, "([A-Z0-9_]+)"', Path(bot.config.__file__).read_text()))
    assert read and read == set(bot.config.SETTING_NAMES)
    assert set(
        re.findall(r"^([A-Z0-9_]+)=", (Path(bot.config.__file__).parents[1] / ".env.example").read_text(), re.M)
    ) == set(bot.config.SETTING_NAMES)
