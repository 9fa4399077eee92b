"""The web pages and reports in the reader's language: `?lang=` on display and dashboard links, the
viewer's Telegram language in the scanner Mini App, the current language in report files.

Tests that need a German catalogue (`bot/locale/de/LC_MESSAGES/messages.mo`) are skipped until it
exists; they compare what the page shows with the catalogue's own translation, so they hold
whatever words the translator chose.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

import bot
from bot import i18n
from bot.domain.report_rows import CheckinRow
from bot.files import report_writer, spreadsheet
from bot.services import displays
from bot.web import page_texts
from tests.browser import open_browser, requires_chromium, save_screenshot, until
from tests.fakebot import TOKEN
from tests.harness import ORGANISER, User
from tests.miniapp import init_data_for
from tests.web import served_event

GERMAN = Path(bot.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "messages.mo"
needs_german = pytest.mark.skipif(not GERMAN.exists(), reason="no German catalogue yet (bot/locale/de)")
DORA = User(700, "Dora", "dora_door")
BAD_LANGS = ("../../etc", "../../etc/passwd%00", "x" * 3000, "<script>", "zz-" + "Z" * 100, "%FF", "")


def german(text: str) -> str:
    translated = i18n.catalogue("de").gettext(text)
    assert translated != text, f"the German catalogue leaves {text!r} in English"
    return translated


@pytest.fixture
async def event(tmp_path):
    async with served_event(tmp_path) as h:
        await h.send(DORA, "/start")
        await h.send(ORGANISER, "/scanner @dora_door S1 S2")
        h.display = (await displays.display_link(h.ctx, "S1")).url.replace("https://attendance.example.org", h.root)
        yield h


async def api(h, action: str, body: dict, **user) -> dict:
    init_data = init_data_for(DORA.id, TOKEN, "Dora", int(time.time()), username="dora_door", **user)
    answer = await h.http.post(f"{h.root}/api/scanner/{action}", content=json.dumps({"initData": init_data, **body}))
    return answer.json()


# ---------------------------------------------------------------- any language, the event's by default


async def test_pages_are_rendered_in_the_event_language_with_their_words(event):
    for url in (event.display, f"{event.root}/miniapp/scanner/"):
        page = (await event.http.get(url)).text
        assert '<html lang="en">' in page and "{{" not in page and "{%" not in page
        words = json.loads(re.search(r'<script id="words" type="application/json">(.*?)</script>', page).group(1))
        assert words["title"] in page
    scanner = (await event.http.get(f"{event.root}/miniapp/scanner/")).text
    assert "Type a code (damaged badge)" in scanner and 'placeholder="Badge code or attendee id"' in scanner


@pytest.mark.parametrize("lang", BAD_LANGS)
async def test_a_bad_lang_is_the_event_language_never_a_stack_trace(event, lang):
    reply = await event.reply_text(ORGANISER, "/dashboard")
    dashboard = next(line for line in reply.splitlines() if line.startswith("https://"))
    dashboard = dashboard.replace("https://attendance.example.org", event.root)
    for url in (
        event.display,
        event.display + "state",
        dashboard,
        dashboard + "data",
        f"{event.root}/miniapp/scanner/",
    ):
        answer = await event.http.get(url, params={"lang": lang})
        assert answer.status_code == 200, (url, lang)
        assert "Traceback" not in answer.text and "<script>" not in answer.text, "nothing of lang is reflected"
        if answer.headers["content-type"].startswith("text/html"):
            assert '<html lang="en">' in answer.text
    assert 'report/checkins.xlsx"' in (await event.http.get(dashboard, params={"lang": lang})).text
    forged = event.display.replace("/display/S1.", "/display/S2.")
    refused = await event.http.get(forged, params={"lang": lang})
    assert refused.status_code == 403 and "This display link is not valid" in refused.text
    assert "Traceback" not in refused.text


async def test_an_unknown_telegram_language_gets_the_event_language(event):
    answer = await api(event, "sessions", {}, language_code="pt-br")
    assert answer["lang"] == "en" and answer["words"]["ready"] == "Ready"
    assert answer["words"]["offline"] == {
        "one": "Offline — {count} scan waiting; it is sent when the connection is back.",
        "other": "Offline — {count} scans waiting; they are sent when the connection is back.",
    }


def test_a_sheet_name_is_always_one_xlsx_accepts():
    assert spreadsheet.sheet_title("Check-ins") == "Check-ins"
    assert spreadsheet.sheet_title("Anwesenheit: [alle] / *heute?* " + "x" * 40) == "Anwesenheit- -alle- - -heute--"
    assert spreadsheet.sheet_title("???") == "---" and spreadsheet.sheet_title("") == "Sheet"


def test_report_dates_follow_the_language():
    assert spreadsheet.date_time_formats("en") is None  # ISO, as before
    assert spreadsheet.date_time_formats("de") == ("dd.mm.yyyy hh:mm:ss", "%d.%m.%Y %H:%M:%S")
    assert spreadsheet.date_time_formats("fr") == ("dd/mm/yyyy hh:mm:ss", "%d/%m/%Y %H:%M:%S")


def test_a_plural_sentence_has_a_form_for_each_category_the_browser_picks():
    with i18n.speaking("en"):
        forms = page_texts.plural_forms(lambda n: i18n.ngettext("{count} scan", "{count} scans", n))
    assert forms == {"one": "{count} scan", "other": "{count} scans"}


# ---------------------------------------------------------------- German, once its catalogue exists


@needs_german
@requires_chromium
async def test_the_display_with_lang_de_speaks_german_in_a_browser(event, tmp_path):
    with open_browser(width=1920, height=1080) as driver:
        await asyncio.to_thread(driver.get, event.display + "?lang=de")
        await until(driver, "document.getElementById('pin').innerText === 'KEY1IN'")
        shown = await asyncio.to_thread(driver.execute_script, "return document.body.innerText;")
        assert await asyncio.to_thread(driver.execute_script, "return document.documentElement.lang;") == "de"
        assert german("Send this PIN to the bot to check in") in shown
        assert german("inside now").upper() in shown.upper()  # the label may be styled in capitals
        lines = [line.strip().lower() for line in shown.splitlines()]
        assert "send this pin to the bot to check in" not in lines and "check-in open" not in lines
        # Times as German writes them: a weekday like "Do." and "14. Mai", not "Thu 14 May".
        where = await asyncio.to_thread(driver.execute_script, "return document.getElementById('where').innerText;")
        assert re.search(r"\w+\., \d+\. ", where), where
        save_screenshot(driver, tmp_path, "display-de")


@needs_german
async def test_a_mini_app_answer_for_a_german_viewer_is_german(event):
    answer = await api(event, "sessions", {}, language_code="de")
    assert answer["lang"] == "de" and answer["words"]["ready"] == german("Ready")
    assert answer["words"]["hello"] == german("Scanning as {name}. Running sessions first.")
    code = "not-a-badge"
    verdict = await api(event, "scan", {"session_id": "S1", "code": code, "scan_id": "de-1"}, language_code="de-AT")
    assert verdict["headline"] == german("Not a badge of this event")
    english = await api(event, "scan", {"session_id": "S1", "code": code, "scan_id": "en-1"}, language_code="en")
    assert english["headline"] == "Not a badge of this event"


@needs_german
async def test_an_unknown_lang_falls_back_to_a_german_event(event):
    event.ctx.event_language = "de"
    page = (await event.http.get(event.display, params={"lang": "klingon"})).text
    assert '<html lang="de">' in page and german("Send this PIN to the bot to check in") in page
    assert (await api(event, "sessions", {}, language_code="tlh"))["lang"] == "de"
    page = (await event.http.get(event.display, params={"lang": "en"})).text
    assert '<html lang="en">' in page and "Send this PIN to the bot to check in" in page


@needs_german
def test_a_report_built_in_german_has_german_headers_sheet_names_and_dates():
    at = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)
    row = CheckinRow("S1", "Keynote", at, "REG-1", "=Ada", "", at, "pin", "", True, False, False)
    tz = ZoneInfo("Europe/Paris")
    with i18n.speaking("de"):
        data = spreadsheet.xlsx_bytes(
            [
                report_writer.checkins_sheet([row], tz, "Europe/Paris, UTC+02:00"),
                report_writer.refused_sheet([], tz, ""),
            ]
        )
        csv = spreadsheet.csv_file(report_writer.checkins_sheet([row], tz, "UTC+02:00"))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        spreadsheet.sheet_title(german("Check-ins")),
        spreadsheet.sheet_title(german("Refused attempts")),
    ]
    header = [c.value for c in book.worksheets[0][1]]
    assert header[0] == german("Session id") and header[1] == german("Title")
    assert header[6] == german("Check-in time ({zone})").format(zone="Europe/Paris, UTC+02:00")
    cells = book.worksheets[0][2]
    assert cells[4].value == "'=Ada", "formula escaping is the same in every language"
    assert cells[6].is_date and cells[6].number_format == "dd.mm.yyyy hh:mm:ss"
    assert cells[9].value == german("yes")
    assert "14.05.2026 10:00:00" in csv.decode("utf-8-sig")
