"""The organiser dashboard over real HTTP and in headless Chromium, and the chart /session sends."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image
from selenium.webdriver.common.by import By

from tests.agenda import running_now, shifted_agenda
from tests.browser import open_browser, requires_chromium, save_screenshot, until
from tests.dashboard_event import PEOPLE, SESSIONS, morning, truth
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


async def test_the_dashboard_over_http(tmp_path):
    """The first view's numbers are the database's; a session's detail, its no-shows file, the
    person search; every bad request gets a clear answer."""
    async with morning(tmp_path) as h:
        url = await dashboard_url(h)
        page = await h.http.get(url)
        assert page.status_code == 200 and "Attendance dashboard" in page.text
        data = (await h.http.get(url + "data")).json()
        held = await truth(h)
        assert {k: data["totals"][k] for k in ("people", "expected", "expected_arrived", "inside")} == {
            k: held[k] for k in ("people", "expected", "expected_arrived", "inside")
        }
        assert (data["totals"]["checkins_15"], data["totals"]["refusals_15"]) == (
            held["checkins_15"],
            held["refusals_15"],
        )
        assert data["totals"]["reasons_15"] == [{"reason": "unknown_pin", "count": 1}]
        rows = {s["id"]: s for s in data["sessions"]}
        assert [s["id"] for s in data["sessions"]] == ["S1", "S2", "S4", "S3"]  # by start
        assert {k: v["status"] for k, v in rows.items()} == {
            "S1": "closed",
            "S2": "running",
            "S4": "running",
            "S3": "open",
        }
        assert (rows["S1"]["expected"], rows["S1"]["expected_arrived"], rows["S1"]["no_shows"]) == (7, 5, 2)
        assert (rows["S2"]["inside"], rows["S2"]["capacity"], rows["S3"]["no_shows"]) == (2, 3, None)
        assert sum(rows["S1"]["spark"]) == rows["S1"]["arrived"] == 6
        chart = data["chart"]
        assert sum(chart["arrivals"]) == 10 and chart["inside"][chart["now"]] == held["inside"]
        assert chart["inside"][-1] == 0 and len(chart["labels"]) == len(chart["arrivals"])

        detail = (await h.http.get(url + "session/S1")).json()
        assert sorted(p["id"] for p in detail["no_shows"]) == held["no_shows_s1"]
        assert "Ada Lovelace" in [p["name"] for p in detail["inside"]]
        s2 = (await h.http.get(url + "session/s2")).json()
        assert [r["reason"] for r in s2["refusals"]] == ["not_registered"]
        noshows = await h.http.get(url + "noshows/S1.csv")
        assert "attachment" in noshows.headers["content-disposition"]
        lines = noshows.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "Attendee id,Name,Registered,Targeted" and sorted(lines[1:]) == [
            "P-08,José Ñúñez,yes,",
            "REG-2,Bob Builder,yes,",
        ]

        found = (await h.http.get(url + "person", params={"q": "Петров"})).json()
        assert (found["found"], found["id"]) == ("one", "P-02")
        assert [(v["session"], v["ended"], v["ended_text"]) for v in found["visits"]] == [
            ("S1", "out_pin", "checked out")
        ]
        ada = (await h.http.get(url + "person", params={"q": "@ada_l"})).json()
        assert [(v["session"], v["ended"]) for v in ada["visits"]] == [("S1", "session_end"), ("S2", "open")]
        lower = (await h.http.get(url + "person", params={"q": "петров"})).json()  # any case, any script
        assert (lower["found"], lower["id"]) == ("one", "P-02")
        assert (await h.http.get(url + "person", params={"q": "ångström"})).json()["id"] == "P-01"
        many = (await h.http.get(url + "person", params={"q": "Иван"})).json()
        assert many["found"] == "many" and {c["id"] for c in many["candidates"]} == {"P-02", "P-03"}
        assert (await h.http.get(url + "person", params={"q": "nobody-like-this"})).json() == {"found": "none"}
        german = (await h.http.get(url + "person", params={"q": "P-02", "lang": "de"})).json()
        assert german["visits"][0]["ended_text"] != "checked out"

        for bad in ("person", "person?q=", "person?q=%20", "person?q=" + "x" * 101):
            answer = await h.http.get(url + bad)
            assert answer.status_code == 400 and "error" in answer.json(), bad
        for missing in ("session/S99", "noshows/S99.csv", "chart/S99.svg", "report/everything.xlsx", "noshows/S1"):
            answer = await h.http.get(url + missing)
            assert answer.status_code == 404 and "Traceback" not in answer.text, missing
        chart_svg = await h.http.get(url + "chart/S1.svg")
        assert chart_svg.headers["content-type"] == "image/svg+xml" and b"<svg" in chart_svg.content
        xlsx = await h.http.get(url + "report/checkins.xlsx")
        assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["Check-ins", "Refused attempts"]
        csv = await h.http.get(url + "report/checkouts.csv")
        assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())


async def test_bad_expired_and_revoked_links_are_403(office):
    url = await dashboard_url(office)
    token = url.rstrip("/").rsplit("/", 1)[1]
    expires, signature = token.split(".")
    forged = url.replace(token, f"{expires}.{'0' if signature[0] != '0' else '1'}{signature[1:]}")
    longer = url.replace(token, f"{int(expires) + 3600}.{signature}")
    for bad in (forged, longer):
        for part in (
            "",
            "data",
            "events",
            "session/S1",
            "person?q=Ada",
            "noshows/S1.csv",
            "chart/S1.svg",
            "report/checkins.xlsx",
        ):
            answer = await office.http.get(bad + part)
            assert answer.status_code == 403 and "not valid" in answer.text and "Traceback" not in answer.text
            assert "Ada" not in answer.text and "REG-" not in answer.text
    office.offset = timedelta(hours=12, seconds=1)
    assert (await office.http.get(url + "data")).status_code == 403
    office.offset = timedelta(0)
    assert (await office.http.get(url + "data")).status_code == 200
    fresh = await dashboard_url(office, "/dashboard revoke")
    assert (await office.http.get(url + "data")).status_code == 403
    assert (await office.http.get(fresh + "data")).status_code == 200
    # A dashboard open when its link is revoked is told at its next push, and its stream ends.
    async with office.http.stream("GET", fresh + "events") as stream:
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith("data: {")
        await dashboard_url(office, "/dashboard revoke")
        await office.send(BOB, "KEY1IN")
        rest = [line async for line in lines]
    assert "event: refused" in rest and not any(line.startswith('data: {"') for line in rest)


async def test_a_stream_pushes_every_row_first_then_only_the_rows_that_changed(tmp_path):
    """A dashboard's first push has every session and their order; a check-in to S4 then pushes S4's
    row alone, with the new totals; a session added to the day brings the new order and its row."""
    async with morning(tmp_path) as h:
        url = await dashboard_url(h)
        async with h.http.stream("GET", url + "events") as stream:
            pushes = (json.loads(line[6:]) async for line in stream.aiter_lines() if line.startswith("data: "))

            async def push() -> dict:
                return await asyncio.wait_for(anext(pushes), 10)

            first = await push()
            assert first["order"] == ["S1", "S2", "S4", "S3"] == [s["id"] for s in first["sessions"]]
            s4 = next(s for s in first["sessions"] if s["id"] == "S4")
            await h.send(PEOPLE["P-06"], "PAR4IN")
            second = await push()
            assert "order" not in second and [s["id"] for s in second["sessions"]] == ["S4"]
            assert second["sessions"][0]["arrived"] == s4["arrived"] + 1
            assert second["totals"]["people"] == first["totals"]["people"] + 1
            late = "S5,Late talk,2026-05-14 11:50,2026-05-14 12:30,Room E,,no,,LATE5IN,\n"
            agenda = shifted_agenda(SESSIONS + late, running_now("Europe/Paris", started_minutes_ago=90))
            assert "imported" in (await h.send_document(ORGANISER, agenda.encode(), "s.csv"))[-1].text
            await h.send(PEOPLE["P-07"], "PAR4IN")
            third = await push()
            assert third["order"] == ["S1", "S2", "S4", "S5", "S3"]
            assert sorted(s["id"] for s in third["sessions"]) == ["S4", "S5"]


async def test_the_updated_clock_is_in_the_events_zone_over_http(office):
    data = (await office.http.get(await dashboard_url(office) + "data")).json()
    now = office.ctx.clock().astimezone(ZoneInfo("Europe/Paris"))
    assert data["updated"] in {f"{now:%H:%M:%S}", f"{now - timedelta(seconds=1):%H:%M:%S}"}


@requires_chromium
async def test_the_dashboard_in_a_browser(tmp_path):
    """One page, on a phone in New York, through a morning in Paris: the first view holds the
    database's numbers, a check-in reaches it by itself, a session's no-shows, a person found by a
    part of their Cyrillic name; then the same page at 1920 x 1080. Both screenshots are kept."""
    async with morning(tmp_path) as h:
        url = await dashboard_url(h)
        held = await truth(h)
        with open_browser(width=390, height=844, timezone="America/New_York") as driver:
            await asyncio.to_thread(driver.get, url)
            await until(driver, "document.querySelectorAll('#sessions .srow').length === 4")
            shown = await asyncio.to_thread(driver.execute_script, TOTALS)
            assert shown == {
                "people": str(held["people"]),
                "showup": f"{round(100 * held['expected_arrived'] / held['expected'])}\u00a0%",
                "inside": str(held["inside"]),
                "recent": f"{held['checkins_15']} in · {held['refusals_15']} refused",
            }
            # Every time is the event's (Paris), not the browser's (New York).
            assert (
                await asyncio.to_thread(
                    driver.execute_script, "return Intl.DateTimeFormat().resolvedOptions().timeZone;"
                )
                == "America/New_York"
            )
            updated = await asyncio.to_thread(lambda: driver.find_element(By.ID, "updated").text)
            paris = datetime.now(ZoneInfo("Europe/Paris"))
            clock = datetime.strptime(updated.removeprefix("updated "), "%H:%M:%S")
            clock = paris.replace(hour=clock.hour, minute=clock.minute, second=clock.second)
            assert abs((paris - clock).total_seconds()) < 60, (updated, paris)
            alt = await asyncio.to_thread(lambda: driver.find_element(By.ID, "day-alt").text)
            assert alt.startswith("10 arrivals so far") and f"{held['inside']} people inside now" in alt
            assert await asyncio.to_thread(
                driver.execute_script,
                "return [...document.querySelectorAll('svg[role=img]')].every("
                "s => s.getAttribute('aria-label') || s.getAttribute('aria-labelledby'))",
            )
            # The page is as wide as the phone: nothing sticks out sideways.
            assert await asyncio.to_thread(
                driver.execute_script, "return document.documentElement.scrollWidth <= window.innerWidth"
            )
            save_screenshot(driver, tmp_path, "dashboard-phone")

            # A check-in while the page is open: pushed, not reloaded; its session's row alone is replaced.
            rows = "return [...document.querySelectorAll('#sessions .srow')].map(r => r.dataset.session);"
            showup = "document.querySelector(\".srow[data-session='S2'] .showup\").textContent"
            s1_row = "window.s1Row = document.querySelector(\".srow[data-session='S1']\"); return 1;"
            s2_before = await asyncio.to_thread(driver.execute_script, f"{s1_row} return {showup};")
            await h.send(PEOPLE["P-08"], "NOSUCH1")  # a wrong PIN: refused, counted apart
            await h.send(PEOPLE["P-06"], "RUST2IN")  # registered for the workshop: in
            await until(driver, f"document.getElementById('t-people').textContent === '{held['people'] + 1}'", 2.0)
            await until(driver, f"document.getElementById('t-inside').textContent === '{held['inside'] + 1}'", 2.0)
            refused = f"{held['checkins_15'] + 1} in · {held['refusals_15'] + 1} refused"
            await until(driver, f"document.getElementById('t-recent').textContent === '{refused}'", 2.0)
            await until(driver, f"{showup} !== {json.dumps(s2_before)}", 2.0)
            assert (await asyncio.to_thread(driver.execute_script, f"return {showup};")).startswith("3\u00a0/\u00a03")
            assert await asyncio.to_thread(driver.execute_script, rows) == ["S1", "S2", "S4", "S3"]
            assert await asyncio.to_thread(
                driver.execute_script, "return window.s1Row === document.querySelector(\".srow[data-session='S1']\");"
            ), "S1 did not change: its row stays as it was"

            # A session's detail lists exactly its no-shows.
            await asyncio.to_thread(lambda: driver.find_element(By.CSS_SELECTOR, ".srow[data-session='S1']").click())
            await until(driver, "document.querySelectorAll('#noshow-list li').length === 2")
            names = await asyncio.to_thread(lambda: driver.find_element(By.ID, "noshow-list").text)
            assert sorted(line.split(" · ")[1] for line in names.splitlines()) == held["no_shows_s1"]
            await until(driver, "document.getElementById('chart').naturalWidth > 0")

            # The search finds a person by a part of their name in Cyrillic, and shows their day.
            search = await asyncio.to_thread(driver.find_element, By.ID, "search")
            await asyncio.to_thread(search.send_keys, "Петров\n")
            await until(driver, "document.querySelector('#person .visits') !== null")
            day = await asyncio.to_thread(lambda: driver.find_element(By.ID, "person").text)
            assert "Иван Петрович Сидоров · P-02" in day and "checked out" in day
            assert "unknown PIN: 2" in await asyncio.to_thread(lambda: driver.find_element(By.ID, "t-reasons").text)
            save_screenshot(driver, tmp_path, "dashboard-phone-search")

            await asyncio.to_thread(
                driver.execute_cdp_cmd,
                "Emulation.setDeviceMetricsOverride",
                {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False},
            )
            await until(driver, "window.innerWidth === 1920")
            await asyncio.to_thread(driver.execute_script, "window.scrollTo(0, 0)")
            await asyncio.sleep(0.3)  # the day's chart is drawn again for the new width
            save_screenshot(driver, tmp_path, "dashboard-1920")


TOTALS = """return {people: document.getElementById('t-people').textContent,
  showup: document.getElementById('t-showup').textContent,
  inside: document.getElementById('t-inside').textContent,
  recent: document.getElementById('t-recent').textContent};"""
