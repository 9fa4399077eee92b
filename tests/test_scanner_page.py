"""The door scanner Mini App in a real headless Chromium, against the bot's own web server.

A stand-in `Telegram.WebApp` (tests/browser.py) feeds codes the way Telegram's
QR popup does; the page talks to the real API, service and database. The
screenshots are saved in the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By

from bot.domain import badges
from tests.agenda import running_now, shifted_agenda
from tests.browser import open_browser, requires_chromium, save_screenshot, telegram_stand_in, until
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.fakebot import TOKEN
from tests.harness import ORGANISER, BotHarness, User
from tests.miniapp import init_data_for
from tests.web import serve

pytestmark = requires_chromium
DORA = User(700, "Dora", "dora_door")


@pytest.fixture
async def door(tmp_path):
    """The sample event, today (the page's clock is the real one), Dora scanning for S1 and S2."""
    h = await BotHarness(tmp_path, PUBLIC_URL="https://door.example.org").start()
    h.ctx.clock = lambda: datetime.now(UTC)  # the page's clock is the real one
    agenda = shifted_agenda(SESSIONS_CSV, running_now("Europe/Paris"))
    for name, content in (("s.csv", agenda), ("a.csv", ATTENDEES_CSV), ("r.csv", REGISTRATIONS_CSV)):
        await h.send_document(ORGANISER, content.encode(), name)
    await h.send(DORA, "/start")
    await h.send(ORGANISER, "/scanner @dora_door S1 S2")
    async with serve(h):
        h.page = f"{h.root}/miniapp/scanner/"
        yield h
    await h.stop()


def code(h: BotHarness, attendee_id: str) -> str:
    return badges.make_token(h.ctx.badge_secret, attendee_id, 1)


async def in_browser(fn, *args):
    """Selenium blocks: run it off the event loop that serves the page."""
    return await asyncio.to_thread(fn, *args)


async def card(driver) -> dict:
    return await in_browser(
        driver.execute_script,
        """return {colour: document.getElementById('card').className,
                   headline: document.getElementById('headline').innerText,
                   who: document.getElementById('who').innerText,
                   facts: document.getElementById('facts').innerText,
                   count: document.getElementById('count').innerText,
                   admit: !document.getElementById('admit').hidden,
                   undo: !document.getElementById('undo').hidden};""",
    )


async def feed(driver, text: str) -> None:
    await in_browser(driver.execute_script, "window.__tg.feed(arguments[0]);", text)


async def click(driver, element_id: str) -> None:
    await in_browser(lambda: driver.find_element(By.ID, element_id).click())


async def open_page(h: BotHarness, driver) -> None:
    await in_browser(driver.get, h.page)
    await until(driver, "document.querySelectorAll('#sessions button').length === 2")


async def test_green_red_admit_anyway_and_undo_on_screen(door, tmp_path):
    stand_in = telegram_stand_in(init_data_for(DORA.id, TOKEN, "Dora", int(time.time()), username="dora_door"))
    with open_browser(telegram_stand_in=stand_in) as driver:
        await open_page(door, driver)
        save_screenshot(driver, tmp_path, "1-sessions")
        labels = await in_browser(
            driver.execute_script, "return [...document.querySelectorAll('#sessions button')].map(b => b.innerText);"
        )
        assert labels[0].startswith("S1 · Opening keynote") and labels[1].startswith("S2 · Workshop: Rust")
        await in_browser(lambda: driver.find_elements(By.CSS_SELECTOR, "#sessions button")[0].click())
        assert await until(driver, "window.__tg.scanOpen")

        await feed(driver, code(door, "REG-1"))
        await until(driver, "document.getElementById('card').classList.contains('green')")
        shown = await card(driver)
        assert shown["headline"] == "Checked in" and shown["who"] == "Ada Lovelace (REG-1)" and shown["undo"]
        assert shown["facts"] == ""  # S1 is open to everyone: registration is nothing to look at
        assert await in_browser(driver.execute_script, "return window.__tg.scanOpen;")  # kept open
        assert ["notificationOccurred", "success"] in await in_browser(
            driver.execute_script, "return window.__tg.haptics;"
        )
        save_screenshot(driver, tmp_path, "2-green")
        await feed(driver, code(door, "REG-1"))  # the same badge, still in front of the camera
        await asyncio.sleep(0.3)
        assert await door.rows("SELECT COUNT(*) FROM attendance_log") == [(1,)]

        await click(driver, "back")
        await until(driver, "!document.getElementById('choose').hidden")
        await in_browser(lambda: driver.find_elements(By.CSS_SELECTOR, "#sessions button")[1].click())
        await asyncio.sleep(1.6)  # the pause after a verdict
        await feed(driver, code(door, "REG-2"))  # Bob is not registered for the workshop
        await until(driver, "document.getElementById('card').classList.contains('red')")
        shown = await card(driver)
        assert shown["headline"] == "Not registered for this session" and shown["admit"] and not shown["undo"]
        assert shown["who"] == "Bob Builder (REG-2)" and shown["count"] == "Inside: 0 / 2"
        assert shown["facts"] == "Registered: no · Targeted: no"  # S2 has access control
        save_screenshot(driver, tmp_path, "3-red")

        await click(driver, "admit")
        await until(driver, "document.getElementById('headline').innerText === 'Admitted anyway'")
        assert (await card(driver))["count"] == "Inside: 1 / 2"
        save_screenshot(driver, tmp_path, "4-admitted")
        await click(driver, "undo")
        await until(driver, "document.getElementById('headline').innerText.startsWith('Undone')")
        save_screenshot(driver, tmp_path, "5-undone")
    rows = await door.rows("SELECT attendee_id, session_id, direction, reason, override, source FROM attendance_log")
    assert rows == [
        ("REG-1", "S1", "IN", "ok", 0, "miniapp"),
        ("REG-2", "S2", "IN", "not_registered", 0, "miniapp"),
        ("REG-2", "S2", "IN", "ok", 1, "miniapp"),
        ("REG-2", "S2", "UNDO", "undo", 0, "miniapp"),
    ]


async def test_an_offline_burst_waits_in_order_and_is_sent_once_when_back(door, tmp_path):
    stand_in = telegram_stand_in(init_data_for(DORA.id, TOKEN, "Dora", int(time.time()), username="dora_door"))
    with open_browser(telegram_stand_in=stand_in) as driver:
        await open_page(door, driver)
        await in_browser(lambda: driver.find_elements(By.CSS_SELECTOR, "#sessions button")[0].click())
        await in_browser(driver.execute_cdp_cmd, "Network.enable", {})
        offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        await in_browser(driver.execute_cdp_cmd, "Network.emulateNetworkConditions", offline)
        await until(driver, "!document.getElementById('offline').hidden")
        for attendee in ("REG-1", "REG-2", "REG-3"):  # typed at the door, one after another
            await in_browser(lambda a=attendee: driver.find_element(By.ID, "code").send_keys(a + "\n"))
        banner = await until(
            driver,
            "document.getElementById('offline').innerText.includes('3 scans waiting') && "
            "document.getElementById('offline').innerText",
        )
        assert banner.startswith("Offline — 3 scans waiting")
        save_screenshot(driver, tmp_path, "6-offline")
        assert await door.rows("SELECT COUNT(*) FROM attendance_log") == [(0,)]
        waiting = json.loads(
            await in_browser(driver.execute_script, "return localStorage.getItem('door-scanner-queue');")
        )
        online = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        await in_browser(driver.execute_cdp_cmd, "Network.emulateNetworkConditions", online)
        await until(driver, "document.getElementById('offline').hidden", timeout=15)
        await until(driver, "document.getElementById('who').innerText === 'Cleo Patra (REG-3)'")
        save_screenshot(driver, tmp_path, "7-back-online")
    rows = await door.rows("SELECT attendee_id, method, source, request_id, at FROM attendance_log ORDER BY id")
    assert [r[:3] for r in rows] == [(a, "manual", "miniapp") for a in ("REG-1", "REG-2", "REG-3")]
    assert [r[3] for r in rows] == [item["scan_id"] for item in waiting]
    # Each judged at its scan time, not at the time the connection came back.
    stored = [datetime.fromisoformat(r[4]) for r in rows]
    read = [datetime.fromtimestamp(item["scanned_at"] / 1000, UTC) for item in waiting]
    assert all(abs((s - r).total_seconds()) < 0.01 for s, r in zip(stored, read, strict=True))


async def test_already_checked_in_says_since_when_in_the_events_zone_not_the_phones(door, tmp_path):
    stand_in = telegram_stand_in(init_data_for(DORA.id, TOKEN, "Dora", int(time.time()), username="dora_door"))
    with open_browser(telegram_stand_in=stand_in, timezone="America/New_York") as driver:
        await open_page(door, driver)
        await in_browser(lambda: driver.find_elements(By.CSS_SELECTOR, "#sessions button")[0].click())
        for colour in ("green", "yellow"):  # a damaged badge's id typed twice
            await in_browser(lambda: driver.find_element(By.ID, "code").send_keys("REG-1"))
            await in_browser(lambda: driver.find_element(By.CSS_SELECTOR, "#typed button").click())
            await until(driver, f"document.getElementById('card').classList.contains('{colour}')")
        shown = await card(driver)
        save_screenshot(driver, tmp_path, "yellow")
    [(at,)] = await door.rows("SELECT at FROM attendance_log WHERE reason = 'ok'")
    since = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert shown["headline"] == f"Already checked in since {since:%H:%M}"
