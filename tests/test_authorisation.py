"""Authorisation matrix (docs/product.md §4 and §7): a non-admin calling admin commands, a
non-scanner acting as door staff and a scanner acting outside their sessions are all
refused, change nothing, and leave a trace (a WARNING log line, or an attendance_log
row with reason scanner_not_permitted)."""

from __future__ import annotations

import logging
import time

import pytest

from bot import chat_texts
from bot.domain import badges
from bot.telegram.application import ADMIN_HANDLERS
from tests.conftest import SESSIONS_CSV
from tests.harness import ORGANISER, BotHarness, User, texts_to
from tests.images import badge_photo

ADA = User(501, "Ada", "ada_l")  # REG-1: registered for S1 and S2
BOB = User(502, "Bob", "bob_b")  # REG-2 is linked to nobody; Bob is a walk-in
CLEO = User(333, "Cleo")  # REG-3: not registered for S2
DOOR = User(700, "Dora", "dora_door")  # scanner for S1 only (after the setup below)
OTHER = User(701, "Otto", "otto_door")  # scanner for S1 and S2
STRANGER = User(9_000_001, "Mallory", "mallory")  # has never written to the bot

# ---------------------------------------------------------------- admin commands

# Every admin command with arguments that would change something (or leak data) if
# it were obeyed. The test below fails when a command is added without a case here.
ADMIN_CALLS = {
    "import": ["/import"],
    "pins": ["/pins"],
    "genpins": ["/genpins new", "/genpins all"],
    "setpin": ["/setpin S1 HACK1 HACK2", "/setpin S3 ZZZZ"],
    "pinrotate": ["/pinrotate S1 60", "/pinrotate S1 off"],
    "display": ["/display S1", "/display S1 revoke"],
    "dashboard": ["/dashboard", "/dashboard revoke"],
    "invites": ["/invites"],
    "unlink": ["/unlink REG-1"],
    "scanner": ["/scanner @mallory all", "/scanner @ada_l S1 S2", "/scanner @dora_door off", "/scanner 9000001 all"],
    "scanners": ["/scanners"],
    "access": ["/access S1 on", "/access S2 off"],
    "acl": ["/acl include", "/acl"],
    "reminders": ["/reminders 10", "/reminders"],
    "credits": ["/credits proportional", "/credits"],
    "oneroom": ["/oneroom off", "/oneroom"],
    "certificates": [
        "/certificates release",
        "/certificates revoke REG-1",
        "/certificates reissue REG-1",
        "/certificates send",
        "/certificates",
    ],
    "capacity": ["/capacity S1 0", "/capacity S2 none"],
    "checkinwindow": ["/checkinwindow 9999 9999 9999", "/checkinwindow"],
    "timezone": ["/timezone America/New_York", "/timezone"],
    "badges": ["/badges"],
    "reissuebadge": ["/reissuebadge REG-1"],
    "shortlink": ["/shortlink SL666 S1 Free entry", "/shortlink SL001 off"],
    "shortlinks": ["/shortlinks"],
    "shortlinkqr": ["/shortlinkqr"],
    "report": ["/report checkins", "/report checkouts csv"],
    "session": ["/session S1"],
    "attendee": ["/attendee REG-1", "/attendee Ada"],
    "announce": ["/announce everyone Free drinks", "/announce S1 all Room change", "/announce stop"],
}
NON_ADMINS = {"attendee": ADA, "scanner": DOOR, "stranger": STRANGER}
IGNORED_TABLES = {"telegram_users", "updates"}


def token(h: BotHarness, attendee_id: str, version: int = 1) -> str:
    return badges.make_token(h.ctx.badge_secret, attendee_id, version)


async def dump(h: BotHarness) -> dict[str, list]:
    """Every row of every table except those that legitimately change when anyone writes."""
    tables = [
        name
        for (name,) in await h.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if name not in IGNORED_TABLES
    ]
    return {t: sorted(await h.rows(f'SELECT * FROM "{t}"'), key=repr) for t in tables}


def warnings(caplog, needle: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and needle in r.getMessage()]


def edited(h: BotHarness, user: User, text: str) -> dict:
    """An edited_message update whose new text is `text`."""
    payload = h._message(user, text=text)
    message = payload.pop("message")
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    message["edit_date"] = int(time.time())
    payload["edited_message"] = message
    return payload


@pytest.fixture
async def world(event):
    """The sample event with a PIN-less session's PINs, a shortlink, two scanners and a
    pending /genpins all confirmation: plenty that a refused command could change."""
    h = event
    for user in (ADA, BOB, CLEO, DOOR, OTHER):
        await h.send(user, "/start")
    for command in (
        "/genpins new",
        "/shortlink SL001 S1 Welcome!",
        "/scanner @dora_door S1",
        "/scanner @otto_door S1 S2",
        "/capacity S1 100",
    ):
        reply = await h.reply_text(ORGANISER, command)
        assert "✅" in reply or "New PINs" in reply, (command, reply)
    calls = await h.send(ORGANISER, "/genpins all")
    h.confirm_yes = dict((label, data) for label, data in calls[-1].buttons)["Yes, regenerate all"]
    await h.send(ADA, "KEY1IN")
    return h


def test_every_admin_command_has_a_case():
    assert set(ADMIN_CALLS) == set(ADMIN_HANDLERS)
    assert "organisers only" in chat_texts.ADMIN_ONLY


@pytest.mark.parametrize("who", sorted(NON_ADMINS))
@pytest.mark.parametrize("command", sorted(ADMIN_HANDLERS))
async def test_non_admin_is_refused_every_admin_command(world, caplog, command, who):
    h, user = world, NON_ADMINS[who]
    caplog.set_level(logging.WARNING)
    for text in ADMIN_CALLS[command] + [
        ADMIN_CALLS[command][0].replace(f"/{command}", f"/{command}@{h.app.bot.username}", 1)
    ]:
        before = await dump(h)
        caplog.clear()
        calls = await h.send(user, text)
        assert texts_to(calls, user) == [chat_texts.ADMIN_ONLY], (text, texts_to(calls, user))
        assert [c.method for c in calls] == ["sendMessage"], (text, [c.method for c in calls])
        assert await dump(h) == before, f"{text} by a non-admin changed the database"
        assert warnings(caplog, "refused admin action"), f"no refusal logged for {text}"
        assert str(user.id) in warnings(caplog, "refused admin action")[0]


@pytest.mark.parametrize("who", sorted(NON_ADMINS))
async def test_non_admin_edited_message_with_an_admin_command_is_refused(world, caplog, who):
    h, user = world, NON_ADMINS[who]
    caplog.set_level(logging.WARNING)
    before = await dump(h)
    for text in ("/genpins new", "/setpin S1 HACK1", "/scanner @mallory all", "/access S1 on"):
        calls = await h.deliver(edited(h, user, text))
        assert all(c.text in ("", chat_texts.ADMIN_ONLY) for c in calls), [c.text for c in calls]
    assert await dump(h) == before


@pytest.mark.parametrize("who", sorted(NON_ADMINS))
async def test_non_admin_file_upload_is_not_imported(world, caplog, who):
    h, user = world, NON_ADMINS[who]
    caplog.set_level(logging.WARNING)
    hostile = (
        SESSIONS_CSV.replace("KEY1IN", "OWNED1").replace("Opening keynote", '=HYPERLINK("x")')
        + "S9,Fake session,2026-05-14 09:00,2026-05-14 10:00,,,no,,,\n"
    )
    before = await dump(h)
    for name, mime in (
        ("sessions.csv", "text/csv"),
        ("sessions.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        caplog.clear()
        calls = await h.send_document(user, hostile.encode(), name, mime=mime)
        assert texts_to(calls, user) == [chat_texts.ADMIN_ONLY]
        assert warnings(caplog, "refused admin action")
        assert not [c for c in calls if c.method == "getFile"], "a non-admin's file was downloaded"
    assert await dump(h) == before


@pytest.mark.parametrize("who", sorted(NON_ADMINS))
async def test_non_admin_cannot_press_the_organisers_confirmation(world, caplog, who):
    h, user = world, NON_ADMINS[who]
    caplog.set_level(logging.WARNING)
    before = await dump(h)
    calls = await h.press(user, h.confirm_yes)
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answers and answers[-1].params.get("text") == chat_texts.ADMIN_ONLY
    assert not [c for c in calls if c.method == "editMessageText"]
    assert await dump(h) == before
    assert warnings(caplog, "refused admin action")
    # The organiser's own prompt still works afterwards: the refused press did not use it up.
    calls = await h.press(ORGANISER, h.confirm_yes)
    assert "New PINs" in calls[-1].text


async def test_second_admin_cannot_confirm_the_first_admins_prompt(tmp_path):
    h = await BotHarness(tmp_path, ADMIN_IDS="111,112").start()
    try:
        await h.send_document(ORGANISER, SESSIONS_CSV.encode(), "sessions.csv")
        calls = await h.send(ORGANISER, "/genpins all")
        yes = dict(calls[-1].buttons)["Yes, regenerate all"]
        before = await dump(h)
        calls = await h.press(User(112, "Second", "second_admin"), yes)
        assert "expired" in calls[-1].text
        assert (await dump(h))["pins"] == before["pins"]
    finally:
        await h.stop()


# ---------------------------------------------------------------- scanner actions


@pytest.fixture
async def doors(event, caplog):
    """Real log rows made by real scanners, for tampered Undo / Admit anyway presses.

    DOOR first scans for S1 and S2 (so it has rows at S2), then the organiser
    narrows DOOR to S1 only. OTHER scans for S1 and S2 throughout.
    """
    h = event
    for user in (ADA, BOB, CLEO, DOOR, OTHER):
        await h.send(user, "/start")
    await h.send(ORGANISER, "/scanner @dora_door S1 S2")
    await h.send(ORGANISER, "/scanner @otto_door S1 S2")
    await h.send(ORGANISER, "/access S1 on")  # S1: REG-1 and REG-2 registered, REG-3 not

    async def scan(user: User, session: str, attendee_id: str) -> int:
        await h.send(user, f"/scan {session}")
        calls = await h.send(user, token(h, attendee_id))
        data = calls[-1].buttons[0][1]
        return int(data.split(":")[1])

    ids = {
        "other_s1_ok": await scan(OTHER, "S1", "REG-2"),
        "other_s1_red": await scan(OTHER, "S1", "REG-3"),
        "other_s2_ok": await scan(OTHER, "S2", "REG-1"),
        "other_s2_red": await scan(OTHER, "S2", "REG-3"),
    }
    # DOOR's own GREEN and RED at S2 (REG-2 is registered for S2 for this).
    calls = await h.send_document(ORGANISER, b"attendee_id,session_id\nREG-2,S2\n", "more-registrations.csv")
    assert "imported 1" in calls[-1].text, calls[-1].text
    ids["door_s2_ok"] = await scan(DOOR, "S2", "REG-2")
    ids["door_s2_red"] = await scan(DOOR, "S2", "REG-3")
    # A refused PIN attempt (no scanner involved): CLEO at access-controlled S1.
    assert "only open to registered" in await h.reply_text(CLEO, "KEY1IN")
    ids["pin_s1_red"] = (await h.rows("SELECT MAX(id) FROM attendance_log WHERE method = 'pin'"))[0][0]
    # Now DOOR may scan S1 only, and is scanning S1.
    assert "✅" in await h.reply_text(ORGANISER, "/scanner @dora_door S1")
    await h.send(DOOR, "/scan S1")
    h.ids = ids
    caplog.set_level(logging.WARNING)
    return h


async def effects(h: BotHarness) -> tuple:
    """What an admission or an undo would change."""
    return (
        await h.rows(
            "SELECT id, attendee_id, session_id, direction, override FROM attendance_log WHERE accepted = 1 ORDER BY id"
        ),
        await h.rows("SELECT * FROM presence ORDER BY attendee_id, session_id"),
    )


def refusal_logged(caplog, log_before: list, log_after: list) -> bool:
    new_rows = log_after[len(log_before) :]
    return bool(warnings(caplog, "refused")) or any(r[5] == "scanner_not_permitted" for r in new_rows)


async def act(h: BotHarness, user: User, action: str, arg: str):
    if action == "text":
        return await h.send(user, arg)
    if action == "press":
        kind, key = arg.split(":")
        return await h.press(user, f"{kind}:{h.ids.get(key, key)}")
    if action == "photo":
        return await h.send_photo(user, badge_photo(token(h, arg), seed=11))
    if action == "image_file":
        return await h.send_document(user, badge_photo(token(h, arg), seed=12), "badge.jpg", mime="image/jpeg")
    if action == "typed_badge":
        return await h.send(user, token(h, arg))
    raise AssertionError(action)


# (who, action, argument, logged before the fixes in 92b7202): every one must be refused with nothing
# admitted or undone, and logged.
SCANNER_CASES = [
    # not a scanner at all
    ("ada", "text", "/scan", True),
    ("ada", "text", "/scan S1", True),
    ("ada", "text", "/scan off", True),
    ("ada", "press", "scan:S1", False),
    ("ada", "photo", "REG-1", False),
    ("ada", "image_file", "REG-2", False),
    ("ada", "typed_badge", "REG-2", False),
    ("ada", "press", "ovr:other_s1_red", True),
    ("ada", "press", "ovr:pin_s1_red", True),
    ("ada", "press", "undo:other_s1_ok", True),
    ("ada", "press", "undo:door_s2_ok", True),
    ("stranger", "text", "/scan S2", True),
    ("stranger", "press", "ovr:other_s2_red", True),
    ("stranger", "press", "undo:other_s2_ok", True),
    # a scanner outside their sessions (DOOR: S1 only)
    ("door", "text", "/scan S3", True),
    ("door", "text", "/scan S2", True),
    ("door", "press", "scan:S3", False),
    ("door", "press", "scan:S2", False),
    ("door", "press", "undo:other_s1_ok", True),  # another scanner's row, in DOOR's own session
    ("door", "press", "undo:other_s2_ok", True),  # another scanner's row, in a session DOOR may not scan
    ("door", "press", "undo:door_s2_ok", True),  # DOOR's own row, in a session DOOR may no longer scan
    ("door", "press", "ovr:other_s2_red", True),  # another scanner's row, session DOOR may not scan
    ("door", "press", "ovr:door_s2_red", True),  # DOOR's own row, session DOOR may no longer scan
]
USERS = {"ada": ADA, "stranger": STRANGER, "door": DOOR}


@pytest.mark.parametrize(
    "who,action,arg", [c[:3] for c in SCANNER_CASES], ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in SCANNER_CASES]
)
async def test_scanner_action_outside_permission_is_refused(doors, caplog, who, action, arg):
    h, user = doors, USERS[who]
    before, log_before = await effects(h), await h.log()
    current_before = await h.rows("SELECT user_id, current_session_id FROM scanners ORDER BY user_id")
    caplog.clear()
    calls = await act(h, user, action, arg)
    assert await effects(h) == before, f"{who} {action} {arg} admitted or undid something"
    assert await h.rows("SELECT user_id, current_session_id FROM scanners ORDER BY user_id") == current_before
    new_rows = (await h.log())[len(log_before) :]
    assert all(not r[4] for r in new_rows), new_rows
    # Refused with an answer, not silence and not a crash.
    answers = [c.params.get("text", "") for c in calls if c.method == "answerCallbackQuery"]
    replies = texts_to(calls, user)
    assert replies or answers
    assert chat_texts.INTERNAL_ERROR not in replies
    assert not any(c.method == "editMessageText" for c in calls), "a refused press edited the verdict message"
    assert not any("GREEN" in t or "Undone" in t for t in replies + answers)


@pytest.mark.parametrize(
    "who,action,arg", [c[:3] for c in SCANNER_CASES], ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in SCANNER_CASES]
)
async def test_scanner_refusal_is_logged(doors, caplog, who, action, arg):
    h, user = doors, USERS[who]
    log_before = await h.log()
    caplog.clear()
    await act(h, user, action, arg)
    assert refusal_logged(caplog, log_before, await h.log()), f"{who} {action} {arg}: refusal not logged"


@pytest.mark.parametrize("row", ["other_s1_red", "pin_s1_red"])
async def test_scanner_cannot_override_a_row_that_is_not_their_own_scan(doors, caplog, row):
    h = doors
    before, log_before = await effects(h), await h.log()
    calls = await h.press(DOOR, f"ovr:{h.ids[row]}")
    assert await effects(h) == before, "DOOR admitted someone from a verdict that was not theirs"
    assert await h.log() == log_before, "a refused override still wrote a log row"
    assert not any(c.method == "editMessageText" for c in calls)
    assert warnings(caplog, "refused")


async def test_removed_scanner_can_no_longer_scan_undo_or_override(doors, caplog):
    h = doors
    # DOOR makes a GREEN at S1 now, then is removed as a scanner.
    calls = await h.send(DOOR, token(h, "REG-1"))
    assert "GREEN" in calls[-1].text
    own_undo = calls[-1].buttons[0][1]
    assert "no longer a scanner" in await h.reply_text(ORGANISER, "/scanner @dora_door off")
    before, log_before = await effects(h), await h.log()
    caplog.clear()
    for action, arg in (
        ("typed_badge", "REG-2"),
        ("photo", "REG-2"),
        ("press", own_undo),
        ("press", f"ovr:{h.ids['door_s2_red']}"),
        ("text", "/scan S1"),
        ("press", "scan:S1"),
    ):
        if action == "press":
            await h.press(DOOR, arg)
        else:
            await act(h, DOOR, action, arg)
    assert await effects(h) == before
    assert all(not r[4] for r in (await h.log())[len(log_before) :])
    assert len(warnings(caplog, "refused")) >= 3  # undo, override and /scan S1 at least


async def test_scanner_narrowed_mid_scan_gets_scanner_not_permitted_rows_for_photos(doors):
    h = doors
    assert "✅" in await h.reply_text(ORGANISER, "/scanner @dora_door S2")  # DOOR was scanning S1
    before, log_before = await effects(h), await h.log()
    calls = await h.send_photo(DOOR, badge_photo(token(h, "REG-1"), seed=21))
    assert "may not scan" in calls[-1].text
    assert await effects(h) == before
    assert (await h.log())[len(log_before) :] == [("REG-1", "S1", "IN", "scan", 0, "scanner_not_permitted")]


async def test_scanner_who_stopped_scanning_cannot_admit_by_typing_a_code(doors):
    h = doors
    assert "Scanning stopped" in await h.reply_text(DOOR, "/scan off")
    before, log_before = await effects(h), await h.log()
    for text in (token(h, "REG-1"), "REG-2", "reg-1"):
        reply = await h.reply_text(DOOR, text)
        assert "GREEN" not in reply
    assert await effects(h) == before
    assert all(r[3] != "manual" for r in (await h.log())[len(log_before) :])
