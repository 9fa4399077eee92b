"""The organiser's use cases, called as the front ends call them: no Telegram, a real SQLite file.

Each front end (chat, command line) is a thin layer over these functions, so
this is where their behaviour is pinned down fastest; the bot-level tests
check that the chat reaches them.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from datetime import UTC, datetime

import pytest

from bot.domain import badges as badge_codes
from bot.domain.pins import PinProblem
from bot.domain.rules import AclMode
from bot.services import access, backup, badges, imports, people, pins, reports, scanners, shortlinks
from bot.services.context import BotUsernameUnknown, Person, reads
from bot.services.errors import OrganiserError, Problem
from bot.storage import attendees as attendee_rows
from tests.service_event import sample_event

NOW = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
async def ctx(tmp_path):
    async with sample_event(tmp_path, clock=lambda: NOW) as context:
        yield context


async def refused(problem: Problem, call) -> OrganiserError:
    with pytest.raises(OrganiserError) as raised:
        await call
    assert raised.value.problem is problem, raised.value.problem
    return raised.value


async def test_a_bad_file_imports_nothing(ctx):
    before = await pins.list_pins(ctx)
    report = await imports.import_file(
        ctx, b"session_id,title,starts_at,ends_at\nS9,Fine,2026-05-14 09:00,2026-05-14 10:00\nS10,,x,y\n", "s.csv"
    )
    assert not report.ok and report.imported == 0 and report.errors
    assert await pins.list_pins(ctx) == before


async def test_pins_generate_new_then_all_and_set(ctx):
    lines = await pins.list_pins(ctx)
    without = [line.session.session_id for line in lines if line.pin_in is None]
    assert await pins.generate_pins(ctx, "new") == len(without)
    assert await pins.generate_pins(ctx, "new") == 0
    before = {line.session.session_id: line.pin_in for line in await pins.list_pins(ctx)}
    assert await pins.generate_pins(ctx, "all") == len(before)
    after = {line.session.session_id: line.pin_in for line in await pins.list_pins(ctx)}
    assert all(after[s] != before[s] for s in before)
    await refused(Problem.GENPINS_WHICH, pins.generate_pins(ctx, "some"))
    line = await pins.set_pin(ctx, "s1", "ABCD12", "ABCD34")
    assert (line.session.session_id, line.pin_in, line.pin_out) == ("S1", "ABCD12", "ABCD34")


async def test_set_pin_refusals_change_nothing(ctx):
    before = await pins.list_pins(ctx)
    error = await refused(Problem.PIN_INVALID, pins.set_pin(ctx, "S1", "ab12"))
    assert error.details["pin"] == "ab12" and error.details["why"] is PinProblem.BAD_CHARACTERS
    await refused(Problem.PINS_IDENTICAL, pins.set_pin(ctx, "S1", "SAME11", "SAME11"))
    await refused(Problem.UNKNOWN_SESSION, pins.set_pin(ctx, "S9", "ABCD"))
    taken = before[1].pin_in
    error = await refused(Problem.PIN_TAKEN, pins.set_pin(ctx, before[0].session.session_id, taken))
    assert error.details["session_id"] == before[1].session.session_id
    assert await pins.list_pins(ctx) == before


async def test_scanners_assign_list_remove(ctx, tmp_path):
    await refused(Problem.USERNAME_NOT_SEEN, scanners.assign_scanner(ctx, "@nobody", ["all"]))
    await refused(Problem.WHO_UNKNOWN, scanners.assign_scanner(ctx, "REG-999", ["all"]))
    await refused(Problem.ATTENDEE_NOT_LINKED, scanners.assign_scanner(ctx, "REG-1", ["all"]))
    await refused(Problem.SCANNER_SESSIONS_MISSING, scanners.assign_scanner(ctx, "42", []))
    await refused(Problem.UNKNOWN_SESSION, scanners.assign_scanner(ctx, "42", ["S1", "S9"]))
    assert await scanners.list_scanners(ctx) == []
    line = await scanners.assign_scanner(ctx, "42", ["s1", "S2"])
    assert (line.user_id, line.all_sessions, line.session_ids) == (42, False, ("S1", "S2"))
    await people.start(ctx, Person(43, "Dora", username="dora_door"), None)
    line = await scanners.assign_scanner(ctx, "@Dora_Door", ["all"])
    assert (line.user_id, line.all_sessions) == (43, True)
    assert [s.user_id for s in await scanners.list_scanners(ctx)] == [42, 43]
    assert await scanners.assign_scanner(ctx, "42", ["off"]) is None
    await refused(Problem.NOT_A_SCANNER, scanners.assign_scanner(ctx, "42", ["off"]))


async def test_access_acl_and_capacity(ctx):
    assert (await access.set_access(ctx, "s1", "ON")).access_control is True
    await refused(Problem.ACCESS_STATE, access.set_access(ctx, "S1", "maybe"))
    assert await access.get_acl_mode(ctx) is AclMode.EXCLUDE_TARGETS
    assert await access.set_acl_mode(ctx, "Include") is AclMode.INCLUDE_TARGETS
    assert await access.get_acl_mode(ctx) is AclMode.INCLUDE_TARGETS
    await refused(Problem.ACL_MODE, access.set_acl_mode(ctx, "everyone"))
    assert (await access.set_capacity(ctx, "S1", "80")).capacity == 80
    assert (await access.set_capacity(ctx, "S1", "none")).capacity is None
    for bad in ("lots", "-1", "1000001", ""):
        await refused(Problem.CAPACITY_VALUE, access.set_capacity(ctx, "S1", bad))
    await refused(Problem.UNKNOWN_SESSION, access.set_capacity(ctx, "S9", "10"))


async def test_shortlinks_need_the_bot_username_then_work(ctx):
    with pytest.raises(BotUsernameUnknown):
        await shortlinks.set_shortlink(ctx, "SL001", "S1")
    ctx.bot_username = "event_bot"
    line = await shortlinks.set_shortlink(ctx, "SL001", "S1", "  Welcome!  ")
    assert (line.link, line.popup, line.reference) == (
        "https://t.me/event_bot?start=SL001",
        "Welcome!",
        "Opening keynote",
    )
    await refused(Problem.SHORTLINK_CODE, shortlinks.set_shortlink(ctx, "X1", "S1"))
    await refused(Problem.UNKNOWN_SESSION, shortlinks.set_shortlink(ctx, "SL002", "S9"))
    error = await refused(Problem.UNKNOWN_SHORTLINKS, shortlinks.list_shortlinks(ctx, ["SL001", "SL404"]))
    assert error.details["codes"] == ["SL404"]
    data, count = await shortlinks.shortlink_qr_zip(ctx)
    assert count == 1 and zipfile.ZipFile(io.BytesIO(data)).namelist() == ["SL001.png"]
    await shortlinks.remove_shortlink(ctx, "SL001")
    await refused(Problem.UNKNOWN_SHORTLINK, shortlinks.remove_shortlink(ctx, "SL001"))
    assert await shortlinks.list_shortlinks(ctx) == []


async def test_badges_reissue_revokes_the_old_code(ctx):
    first = await badges.badge_for(ctx, "reg-1")
    assert badge_codes.read_token(ctx.badge_secret, first.token).version == 1
    second = await badges.reissue_badge(ctx, "REG-1")
    assert badge_codes.read_token(ctx.badge_secret, second.token).version == 2
    assert (await badges.badge_for(ctx, "REG-1")).token == second.token
    await refused(Problem.UNKNOWN_ATTENDEE, badges.badge_for(ctx, "REG-404"))
    data, count = await badges.print_badges(ctx)
    assert count == 3 and len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 3
    data, count = await badges.print_badges(ctx, "PDF")
    assert count == 3 and data.startswith(b"%PDF")
    await refused(Problem.BADGE_FORMAT, badges.print_badges(ctx, "docx"))


async def test_invites_and_unlink(ctx):
    ctx.bot_username = "event_bot"
    rows = list(csv.reader(io.StringIO((await people.invites_csv(ctx)).decode("utf-8-sig"))))
    assert rows[0] == ["attendee_id", "name", "email", "invite_link", "linked"]
    invite = {r[0]: r[3] for r in rows[1:]}["REG-1"]
    await refused(Problem.NOTHING_TO_UNLINK, people.unlink(ctx, "REG-1"))
    token = invite.split("start=", 1)[1]
    assert (await people.start(ctx, Person(77, "Ada"), token)).attendee.attendee_id == "REG-1"
    assert await people.unlink(ctx, "reg-1") == "REG-1"
    await refused(Problem.UNKNOWN_ATTENDEE, people.unlink(ctx, "REG-404"))


async def test_views_and_report_refusals(ctx):
    summary = await reports.session_summary(ctx, " s1 ")
    assert summary.session.session_id == "S1" and summary.counts.checked_in == 0
    await refused(Problem.UNKNOWN_SESSION, reports.session_summary(ctx, "S9"))
    await refused(Problem.EMPTY_QUERY, reports.find_attendee_summary(ctx, " "))
    await refused(Problem.NO_MATCH, reports.find_attendee_summary(ctx, "zzz"))
    await refused(Problem.UNKNOWN_REPORT, reports.build_report(ctx, "everything"))
    await refused(Problem.UNKNOWN_FORMAT, reports.build_report(ctx, "checkins", "pdf"))
    report = await reports.build_report(ctx, "CHECKINS", "CSV")
    assert report.rows == 0 and report.filename.endswith(".csv")


async def test_backup_is_a_consistent_copy(ctx, tmp_path):
    target = tmp_path / "copy.db"
    assert await backup.backup(ctx, str(target)) > 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == len(await pins.list_pins(ctx))


async def test_a_read_only_use_case_cannot_write(ctx):
    @reads
    def sneaky(conn, ctx, user_id: int) -> None:
        attendee_rows.touch_telegram_user(conn, user_id, None, "Eve", "", NOW)

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await sneaky(ctx, 99)
    rows = await ctx.db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM telegram_users").fetchone()[0])
    assert rows == 0
