"""The organiser dashboard over real HTTP and in headless Chromium, and the chart /session sends."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image
from selenium.webdriver.common.by import By

from tests.browser import open_browser, requires_chromium, save_screenshot, until
from tests.harness import ORGANISER, BotHarness, User
from tests.web import served_event

ADA, BOB = User(501, "Ada", "ada_l"), User(502, "Bob")


@pytest.fixture
async def office(tmp_path):
    async with served_event(tmp_path) as h:
        await h.send(ADA, "KEY1IN")
        await h.send(BOB, "RUST2IN")  # refused: the workshop is for registered participants
        yield h


async def dashboard_url(h: BotHarness, command: str = "/dashboard") -> str:
    reply = await h.reply_text(ORGANISER, command)
    url = next(line for line in reply.splitlines() if line.startswith("https://"))
    return url.replace("https://attendance.example.org", h.root)


async def test_session_sends_its_chart(office):
    calls = await office.send(ORGANISER, "/session S1")
    assert "Checked in: 1" in calls[-2].text
    photo = calls[-1]
    assert photo.method == "sendPhoto" and "arrivals per 5 minutes" in photo.params["caption"]
    image = Image.open(io.BytesIO(photo.file()[1]))
    assert image.format == "PNG" and image.width >= 800


async def test_the_dashboard_over_http(office):
    url = await dashboard_url(office)
    page = await office.http.get(url)
    assert page.status_code == 200 and "Attendance dashboard" in page.text
    data = (await office.http.get(url + "data")).json()
    assert [(s["id"], s["checked_in"], s["inside"]) for s in data["sessions"]] == [
        ("S1", 1, 1),
        ("S2", 0, 0),
        ("S3", 0, 0),
    ]
    assert data["refusals"][0]["reason"] == "not_registered" and data["refusals"][0]["session"] == "S2"
    chart = await office.http.get(url + "chart/S1.svg")
    assert chart.headers["content-type"] == "image/svg+xml" and b"<svg" in chart.content
    assert (await office.http.get(url + "chart/S99.svg")).status_code == 404
    xlsx = await office.http.get(url + "report/checkins.xlsx")
    assert "attachment" in xlsx.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][3] == "REG-1" and len(rows) == 2
    csv = await office.http.get(url + "report/checkouts.csv")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert (await office.http.get(url + "report/everything.xlsx")).status_code == 404


async def test_bad_expired_and_revoked_links_are_403(office):
    url = await dashboard_url(office)
    token = url.rstrip("/").rsplit("/", 1)[1]
    expires, signature = token.split(".")
    forged = url.replace(token, f"{expires}.{'0' if signature[0] != '0' else '1'}{signature[1:]}")
    longer = url.replace(token, f"{int(expires) + 3600}.{signature}")
    for bad in (forged, longer):
        for part in ("", "data", "chart/S1.svg", "report/checkins.xlsx"):
            answer = await office.http.get(bad + part)
            assert answer.status_code == 403 and "not valid" in answer.text and "Traceback" not in answer.text
    office.offset = timedelta(hours=12, seconds=1)
    assert (await office.http.get(url + "data")).status_code == 403
    office.offset = timedelta(0)
    assert (await office.http.get(url + "data")).status_code == 200
    fresh = await dashboard_url(office, "/dashboard revoke")
    assert (await office.http.get(url + "data")).status_code == 403
    assert (await office.http.get(fresh + "data")).status_code == 200


@requires_chromium
async def test_the_dashboard_in_a_browser(office, tmp_path):
    url = await dashboard_url(office)
    with open_browser(width=1280, height=1000) as driver:
        await asyncio.to_thread(driver.get, url)
        await until(driver, "document.querySelectorAll('#sessions tbody tr').length === 3")
        first = await asyncio.to_thread(lambda: driver.find_element(By.CSS_SELECTOR, "#sessions tbody tr").text)
        assert first.startswith("S1 · Opening keynote") and " 1 1 " in f" {first} "
        await asyncio.to_thread(lambda: driver.find_element(By.CSS_SELECTOR, "#sessions tbody tr").click())
        await until(
            driver, "document.getElementById('chart').complete && document.getElementById('chart').naturalWidth > 0"
        )
        refused = await asyncio.to_thread(lambda: driver.find_element(By.ID, "refusals").text)
        assert "not_registered" in refused
        href = await asyncio.to_thread(lambda: driver.find_element(By.ID, "download-checkins").get_attribute("href"))
        save_screenshot(driver, tmp_path, "dashboard")
    download = await office.http.get(href)
    assert load_workbook(io.BytesIO(download.content)).sheetnames == ["Check-ins", "Refused attempts"]


async def test_the_updated_clock_is_in_the_events_zone_over_http(office):
    data = (await office.http.get(await dashboard_url(office) + "data")).json()
    now = office.ctx.clock().astimezone(ZoneInfo("Europe/Paris"))
    assert data["updated"] in {f"{now:%H:%M:%S}", f"{now - timedelta(seconds=1):%H:%M:%S}"}


@requires_chromium
async def test_every_time_on_the_dashboard_is_in_the_events_zone_not_the_browsers(office, tmp_path):
    """A browser in New York shows an event in Paris: the page's clock says Paris time."""
    url = await dashboard_url(office)
    with open_browser(width=1280, height=1000, timezone="America/New_York") as driver:
        await asyncio.to_thread(driver.get, url)
        await until(driver, "document.getElementById('updated').textContent.startsWith('updated ')")
        browser_zone = await asyncio.to_thread(
            driver.execute_script, "return Intl.DateTimeFormat().resolvedOptions().timeZone;"
        )
        updated = await asyncio.to_thread(lambda: driver.find_element(By.ID, "updated").text)
        save_screenshot(driver, tmp_path, "dashboard-new-york")
    paris = datetime.now(ZoneInfo("Europe/Paris"))
    assert browser_zone == "America/New_York"
    shown = datetime.strptime(updated.removeprefix("updated "), "%H:%M:%S")
    shown = paris.replace(hour=shown.hour, minute=shown.minute, second=shown.second)
    assert abs((paris - shown).total_seconds()) < 60, (updated, paris)
