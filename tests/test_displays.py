"""Room displays: the signed link, the page and its state over real HTTP, and the page in headless Chromium."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By

from bot.files.qr import decode_qr
from bot.services import displays
from bot.services.displays import DisplayRefused
from bot.web.display_pages import RecentStates, SessionChanges
from tests.browser import open_browser, requires_chromium, save_screenshot, until
from tests.harness import ORGANISER, BotHarness, User
from tests.web import served_event

ADA, BOB = User(501, "Ada", "ada_l"), User(502, "Bob")


@pytest.fixture
async def room(tmp_path):
    """The sample event today, on the real clock shifted by `room.offset` (the test moves it)."""
    async with served_event(tmp_path) as h:
        yield h


def local(h: BotHarness, url: str) -> str:
    return url.replace("https://attendance.example.org", h.root)


async def test_a_signed_link_opens_its_own_session_only(room):
    link = await displays.display_link(room.ctx, "s1")
    assert link.url.startswith("https://attendance.example.org/display/S1.")
    state = await displays.display_state(room.ctx, link.url.rsplit("/", 2)[1])
    assert (state.session_id, state.pin, state.inside) == ("S1", "KEY1IN", 0)
    assert state.check_in_link == "https://t.me/attendance_test_bot?start=pin-KEY1IN"
    token = link.url.rsplit("/", 2)[1]
    session_id, expires, signature = token.split(".")
    forged = f"{session_id}.{expires}.{'0' if signature[0] != '0' else '1'}{signature[1:]}"
    other_session = f"S2.{expires}.{signature}"
    later = f"{session_id}.{int(expires) + 86400}.{signature}"
    for bad in (forged, other_session, later, "S1", "S1.x.y", "S9.1.abc"):
        with pytest.raises(DisplayRefused):
            await displays.display_state(room.ctx, bad)
    room.offset = link.expires_at - datetime.now(UTC) + timedelta(seconds=1)
    with pytest.raises(DisplayRefused, match="expired"):
        await displays.display_state(room.ctx, token)


async def test_revoking_ends_earlier_links_only(room):
    first = (await displays.display_link(room.ctx, "S1")).url.rsplit("/", 2)[1]
    other = (await displays.display_link(room.ctx, "S2")).url.rsplit("/", 2)[1]
    reply = await room.reply_text(ORGANISER, "/display S1 revoke")
    assert reply.startswith("✅ Earlier display links of this session no longer work.")
    new = reply.split("\n")[1].rsplit("/", 2)[1]
    with pytest.raises(DisplayRefused):
        await displays.display_state(room.ctx, first)
    assert (await displays.display_state(room.ctx, new)).session_id == "S1"
    assert (await displays.display_state(room.ctx, other)).session_id == "S2"


async def test_the_page_state_and_qr_over_http(room):
    url = local(room, (await displays.display_link(room.ctx, "S1")).url)
    page = await room.http.get(url)
    assert page.status_code == 200 and "Send this PIN to the bot to check in" in page.text
    state = (await room.http.get(url + "state")).json()
    assert (state["pin"], state["checked_in"], state["capacity"]) == ("KEY1IN", 0, None)
    png = await room.http.get(url + "qr.png")
    assert png.headers["content-type"] == "image/png"
    assert decode_qr(png.content) == ["https://t.me/attendance_test_bot?start=pin-KEY1IN"]
    forged = url.replace("/display/S1.", "/display/S2.")
    for path in ("", "state", "qr.png"):
        refused = await room.http.get(forged + path)
        assert refused.status_code == 403 and "Traceback" not in refused.text
    assert "This display link is not valid" in (await room.http.get(forged)).text


async def test_the_displays_qr_checks_in_like_typing_the_pin(room):
    assert "Checked in to S1" in await room.reply_text(ADA, "/start pin-KEY1IN")
    assert "doesn't match any session" in await room.reply_text(BOB, "/start pin-NOPE99")


async def test_the_command_line_gives_the_link(room, monkeypatch, capsys):
    from admin_commands.__main__ import run

    monkeypatch.setenv("DATABASE_PATH", room.env["DATABASE_PATH"])
    monkeypatch.setenv("PUBLIC_URL", "https://attendance.example.org")
    assert await run(["display-link", "S1"]) == 0
    assert "https://attendance.example.org/display/S1." in capsys.readouterr().out
    assert await run(["display-link", "S404"]) == 1
    assert "attendance-admin pins lists the sessions" in capsys.readouterr().err


@requires_chromium
async def test_the_display_in_a_browser_counts_and_rotates(room, tmp_path):
    await room.send(ORGANISER, "/pinrotate S1 10")
    url = local(room, (await displays.display_link(room.ctx, "S1")).url)
    with open_browser(width=1920, height=1080) as driver:
        await asyncio.to_thread(driver.get, url)
        first_pin = await until(
            driver, "document.getElementById('pin').innerText.length === 6 && document.getElementById('pin').innerText"
        )
        assert await asyncio.to_thread(lambda: driver.find_element(By.ID, "inside").text) == "0"
        save_screenshot(driver, tmp_path, "display-1920")
        # A check-in through the bot shows within 5 seconds.
        assert "Checked in to S1" in await room.reply_text(ADA, first_pin)
        await until(driver, "document.getElementById('inside').innerText === '1'", timeout=5)
        # Two steps later (the test's clock) the screen shows another PIN, and the first is refused. The
        # screen may already have moved one step on the real clock (a PIN that the jump makes stale):
        # the PIN to type is the first one pushed after the jump.
        before_jump = await asyncio.to_thread(lambda: driver.find_element(By.ID, "pin").text)
        room.offset += timedelta(seconds=25)
        second_pin = await until(
            driver,
            f"document.getElementById('pin').innerText !== {before_jump!r} && document.getElementById('pin').innerText",
            timeout=15,  # the screen is pushed the next PIN when its step ends, at most 10 s away
        )
        save_screenshot(driver, tmp_path, "display-rotated")
        assert "expired" in await room.reply_text(BOB, first_pin)
        assert "Checked in to S1" in await room.reply_text(BOB, second_pin)
    with open_browser(width=412, height=915) as phone:
        await asyncio.to_thread(phone.get, url)
        await until(phone, "document.getElementById('pin').innerText.length === 6")
        save_screenshot(phone, tmp_path, "display-phone")


async def test_the_access_log_never_shows_a_signed_link(room, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="tornado.access")
    url = local(room, (await displays.display_link(room.ctx, "S1")).url)
    token = url.rstrip("/").rsplit("/", 1)[1]
    await room.http.get(url + "state")
    await room.http.get(url.replace(token, token[:-1] + "x") + "state")  # refused: logged as a warning
    lines = [r.getMessage() for r in caplog.records if r.name == "tornado.access"]
    assert len(lines) == 2 and all("/display/…/state" in line for line in lines)
    assert not any(token[-20:] in line for line in lines)


async def test_the_event_stream_pushes_a_check_in_at_once(room):
    url = local(room, (await displays.display_link(room.ctx, "S1")).url)
    forged = url.replace("/display/S1.", "/display/S2.")
    assert (await room.http.get(forged + "events")).status_code == 403
    async with room.http.stream("GET", url + "events") as stream:
        assert stream.headers["content-type"] == "text/event-stream"
        lines = stream.aiter_lines()

        async def next_state() -> dict:
            while True:
                line = await asyncio.wait_for(anext(lines), 5)
                if line.startswith("data: "):
                    return json.loads(line[6:])

        assert (await next_state())["inside"] == 0
        await room.send(ADA, "KEY1IN")
        assert (await next_state())["inside"] == 1  # pushed: how fast is bench/displays.py's figure


async def test_a_burst_of_check_ins_is_one_wake_up_and_one_state_per_link(room):
    changes = SessionChanges(coalesce=0.05)
    changes.loop = asyncio.get_running_loop()

    def burst() -> None:  # as the database thread does, once per check-in
        for _ in range(500):
            changes.changed_from_any_thread("s1")

    await asyncio.to_thread(burst)
    await asyncio.wait_for(changes.wait("S1", 0, 5), 2)
    assert (changes.version("S1"), changes.wakeups) == (1, 1)
    token = (await displays.display_link(room.ctx, "S1")).url.rstrip("/").rsplit("/", 1)[1]
    states = RecentStates(room.ctx)
    shown = await asyncio.gather(*(states.get(token, 1) for _ in range(5)))  # a room's five screens wake
    assert states.computed == 1 and {s.session_id for s in shown} == {"S1"}
    await room.send(ADA, "KEY1IN")
    assert (await states.get(token, 1)).checked_in == 0  # the same version: the state already computed
    assert (await states.get(token, 2)).checked_in == 1 and states.computed == 2
