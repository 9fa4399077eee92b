"""The door scanner Mini App in a real headless Chromium, against the bot's own web server.

A stand-in `Telegram.WebApp` (tests/browser.py) feeds codes the way Telegram's
QR popup does; the page talks to the real API, service and database. The
screenshots are saved in the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from selenium.webdriver.common.by import By

from bot.domain import badges
from bot.services.badges import reissue_badge
from bot.services.reports import build_report
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
                   provisional: !document.getElementById('provisional').hidden,
                   mark: document.getElementById('provisional').textContent,
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


OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {**OFFLINE, "offline": False}


async def network(driver, conditions: dict) -> None:
    """Chromium's own network emulation: offline, fetch fails and the page gets its `offline` event."""
    await in_browser(driver.execute_cdp_cmd, "Network.enable", {})
    await in_browser(driver.execute_cdp_cmd, "Network.emulateNetworkConditions", conditions)


async def typed(driver, text: str) -> None:
    await in_browser(lambda: driver.find_element(By.ID, "code").send_keys(text + "\n"))


async def test_offline_the_phone_judges_from_its_roster_and_the_server_has_the_last_word(door, tmp_path):
    """S2 (access control, capacity 2): the page keeps the roster, goes offline, and judges six scans on
    the phone; meanwhile Ada is checked in at another door and Cleo's badge is reissued. Back online,
    the queue goes out in order, each scan judged at its own time, every row written once, and the two
    verdicts the server gave otherwise are listed."""
    ada_new = (await reissue_badge(door.ctx, "REG-1")).token
    ada_old, bob, cleo_old = code(door, "REG-1"), code(door, "REG-2"), code(door, "REG-3")
    forged = bob[:-16] + "A" * 16
    stand_in = telegram_stand_in(init_data_for(DORA.id, TOKEN, "Dora", int(time.time()), username="dora_door"))
    with open_browser(telegram_stand_in=stand_in) as driver:
        await open_page(door, driver)
        await in_browser(lambda: driver.find_elements(By.CSS_SELECTOR, "#sessions button")[1].click())
        stored = await until(driver, "localStorage.getItem('door-scanner-roster')")
        assert ada_new not in stored and door.ctx.badge_secret not in stored  # hashes, never codes or the secret
        await network(driver, OFFLINE)
        await until(driver, "!document.getElementById('offline').hidden")

        await feed(driver, ada_new)  # the camera
        await until(driver, "!document.getElementById('provisional').hidden")
        shown = [await card(driver)]
        save_screenshot(driver, tmp_path, "6-offline-green")
        await door.send(DORA, "/scan S2")  # meanwhile Ada comes in at another door,
        await door.send(DORA, ada_new)
        await reissue_badge(door.ctx, "REG-3")  # and Cleo's badge is reissued
        for text in (bob, forged, ada_old, cleo_old, ada_new):  # typed at the door, one after another
            before = await in_browser(
                driver.execute_script, "return JSON.parse(localStorage.getItem('door-scanner-queue')).length;"
            )
            await typed(driver, text)
            await until(driver, f"JSON.parse(localStorage.getItem('door-scanner-queue')).length === {before + 1}")
            shown.append(await card(driver))
            if text == forged:
                save_screenshot(driver, tmp_path, "7-offline-forged")
        assert [(c["colour"], c["headline"], c["who"], c["provisional"]) for c in shown] == [
            ("card green provisional", "Checked in", "Ada Lovelace (REG-1)", True),
            ("card red provisional", "Not registered for this session", "Bob Builder (REG-2)", True),
            ("card red provisional", "Not a badge of this event", "", True),
            ("card red provisional", "Revoked badge: a newer one was issued", "", True),
            ("card red provisional", "Not registered for this session", "Cleo Patra (REG-3)", True),
            ("card yellow provisional", shown[-1]["headline"], "Ada Lovelace (REG-1)", True),
        ]
        assert shown[-1]["headline"].startswith("Already checked in since ")  # this phone's own GREEN
        assert shown[0]["count"] == "Inside: 1 / 2" and shown[0]["facts"] == "Registered: yes · Targeted: yes"
        assert shown[0]["mark"].startswith("Offline — provisional (guest list as of ")
        assert not shown[0]["admit"] and not shown[0]["undo"]  # nothing to override or undo before the server
        assert "6 scans waiting" in await in_browser(
            driver.execute_script, "return document.getElementById('offline').innerText;"
        )
        waiting = json.loads(
            await in_browser(driver.execute_script, "return localStorage.getItem('door-scanner-queue');")
        )
        assert await door.rows("SELECT COUNT(*) FROM attendance_log WHERE source = 'miniapp'") == [(0,)]

        await network(driver, ONLINE)
        await until(driver, "document.getElementById('offline').hidden", timeout=15)
        await until(driver, "localStorage.getItem('door-scanner-queue') === '[]'")
        final = await until(
            driver, "document.getElementById('provisional').hidden && document.getElementById('headline').innerText"
        )
        differences = await until(
            driver, "[...document.querySelectorAll('#difference-list li')].map(li => li.innerText).join('\\n')"
        )
        save_screenshot(driver, tmp_path, "8-back-online")
        await click(driver, "differences-ok")
        assert await until(driver, "document.getElementById('differences').hidden")

        # Dora no longer scans for S2: the next refresh (here, the connection coming back) takes the roster
        # away, and a scan offline is only queued, with no verdict of the phone's.
        await door.send(ORGANISER, "/scanner @dora_door S1")
        await network(driver, OFFLINE)
        await network(driver, ONLINE)
        await until(driver, "localStorage.getItem('door-scanner-roster') === null")
        await network(driver, OFFLINE)
        await typed(driver, bob)
        await until(driver, "JSON.parse(localStorage.getItem('door-scanner-queue')).length === 1")
        assert (await card(driver))["provisional"] is False
    assert final.startswith("Already checked in since ")
    ada_row = await door.rows("SELECT at FROM attendance_log WHERE attendee_id = 'REG-1' AND reason = 'ok'")
    since = datetime.fromisoformat(ada_row[0][0]).astimezone(ZoneInfo("Europe/Paris"))
    lines = differences.split("\n")
    assert len(lines) == 2, lines
    assert lines[0].endswith(
        f"Ada Lovelace (REG-1): phone “Checked in”, server “Already checked in since {since:%H:%M}”"
    )
    assert lines[1].endswith(
        "Cleo Patra (REG-3): phone “Not registered for this session”, server “Revoked badge: a newer one was issued”"
    )
    rows = await door.rows(
        "SELECT attendee_id, reason, method, request_id, at FROM attendance_log WHERE source = 'miniapp' ORDER BY id"
    )
    # Already checked in writes no row; the others one row each, in the order read, at the time read.
    assert [r[:3] for r in rows] == [
        ("REG-2", "not_registered", "manual"),
        (None, "invalid_code", "manual"),
        ("REG-1", "revoked", "manual"),
        ("REG-3", "revoked", "manual"),
    ]
    assert [r[3] for r in rows] == [item["scan_id"] for item in waiting[1:5]]
    # The organiser's report: Ada's one check-in (at the other door), each refusal once.
    report = await build_report(door.ctx, "checkins", "xlsx")
    checkins, refused = openpyxl.load_workbook(io.BytesIO(report.data), read_only=True).worksheets
    assert [(r[3], r[7]) for r in list(checkins.iter_rows(values_only=True))[1:]] == [("REG-1", "manual")]
    assert [(r[3], r[7]) for r in list(refused.iter_rows(values_only=True))[1:]] == [
        ("REG-2", "not_registered"),
        (None, "invalid_code"),
        ("REG-1", "revoked"),
        ("REG-3", "revoked"),
    ]
    read = [datetime.fromtimestamp(item["scanned_at"] / 1000, UTC) for item in waiting[1:5]]
    assert all(abs((datetime.fromisoformat(r[4]) - t).total_seconds()) < 0.01 for r, t in zip(rows, read, strict=True))


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
