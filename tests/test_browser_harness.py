"""The headless-browser harness itself (tests/browser.py), against a page served on 127.0.0.1.

The page is a Mini App in miniature: it loads Telegram's script from telegram.org, as every Mini App
must, and opens the QR scanner. One browser serves the whole module, so these tests take seconds.
"""

from __future__ import annotations

import json
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from PIL import Image

from tests.browser import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    color_scheme,
    open_browser,
    requires_chromium,
    save_screenshot,
    telegram_stand_in,
)

USER = {"id": 4242, "first_name": "Zoë", "last_name": "Door", "username": "door_staff", "language_code": "en"}
INIT_DATA = urlencode(
    {"query_id": "AAE-test", "user": json.dumps(USER, ensure_ascii=False), "auth_date": "1767225600", "hash": "00ff"}
)

# The scanner callback keeps the popup open (returns false) for every code but "DONE", so both of
# Telegram's cases can be tried on one page.
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Door scanner</title>
<script src="https://telegram.org/js/telegram-web-app.js" onerror="window.telegramScriptFailed = true"></script>
<style>
  body { font: 20px sans-serif; margin: 16px; background: var(--tg-theme-bg-color); color: var(--tg-theme-text-color); }
  #last { font-size: 40px; font-weight: bold; color: #0a7d2c; }
  li { margin: 4px 0; }
</style>
</head>
<body>
<h1>Door scanner</h1>
<p id="who"></p>
<p>Last scan: <span id="last">none</span></p>
<ol id="scans"></ol>
<script>
  const app = Telegram.WebApp;
  app.ready();
  app.expand();
  document.getElementById("who").textContent =
    "Scanning as " + app.initDataUnsafe.user.first_name + " on " + app.platform + ", version " + app.version;
  app.showScanQrPopup({text: "Scan"}, t => {
    document.body.dataset.last = t;
    document.getElementById("last").textContent = t;
    const item = document.createElement("li");
    item.textContent = t;
    document.getElementById("scans").appendChild(item);
    app.HapticFeedback.notificationOccurred("success");
    return t === "DONE";
  });
</script>
</body>
</html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The page, served over HTTP on 127.0.0.1 (the one address the browser may reach)."""
    root = tmp_path_factory.mktemp("site")
    (root / "scan.html").write_text(PAGE, encoding="utf-8")

    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module: each test loads the page afresh, which resets the stand-in."""
    with open_browser(telegram_stand_in=telegram_stand_in(INIT_DATA)) as driver:
        yield driver


@pytest.fixture
def page(browser, site):
    """The scanner page, freshly loaded; how long loading took is in ``browser.load_seconds``."""
    started = time.monotonic()
    browser.get(site + "/scan.html")
    browser.load_seconds = time.monotonic() - started
    return browser


def text_of(driver, element_id: str) -> str:
    return driver.execute_script("return document.getElementById(arguments[0]).textContent", element_id)


@requires_chromium
def test_page_loads_at_once_although_telegram_org_cannot_be_reached(page):
    assert page.load_seconds < 3, f"the page took {page.load_seconds:.1f} s: an outside script is hanging"
    assert page.execute_script("return document.readyState") == "complete"
    # The real telegram-web-app.js failed to load (so it did not replace the stand-in either).
    assert page.execute_script("return window.telegramScriptFailed === true")


@requires_chromium
def test_page_scripts_see_the_telegram_stand_in(page):
    assert text_of(page, "who") == "Scanning as Zoë on android, version 8.0"
    app = page.execute_script(
        "const a = Telegram.WebApp;"
        "return {initData: a.initData, unsafe: a.initDataUnsafe, scheme: a.colorScheme, bg: a.themeParams.bg_color,"
        " cssBg: getComputedStyle(document.body).backgroundColor, atLeast: [a.isVersionAtLeast('6.4'),"
        " a.isVersionAtLeast('9.1')], width: innerWidth, height: innerHeight}"
    )
    assert app["initData"] == INIT_DATA
    assert app["unsafe"] == {"query_id": "AAE-test", "user": USER, "auth_date": 1767225600, "hash": "00ff"}
    assert (app["scheme"], app["bg"], app["cssBg"]) == ("light", "#ffffff", "rgb(255, 255, 255)")
    assert app["atLeast"] == [True, False]
    assert (app["width"], app["height"]) == (DEFAULT_WIDTH, DEFAULT_HEIGHT)
    assert page.execute_script("return [__tg.ready, __tg.expanded, Telegram.WebApp.isExpanded]") == [True, True, True]


@requires_chromium
def test_scanned_codes_show_on_screen_with_haptics_and_the_popup_follows_the_callback(page):
    assert page.execute_script("return [__tg.scanOpen, __tg.scanParams]") == [True, {"text": "Scan"}]

    # The callback returns false: the popup stays open for the next badge.
    assert page.execute_script("return __tg.feed(arguments[0])", "B1-0001") is False
    assert page.execute_script("return __tg.feed(arguments[0])", "B1-0002") is False
    assert text_of(page, "last") == "B1-0002"
    assert page.execute_script("return document.body.dataset.last") == "B1-0002"
    assert [li.text for li in page.find_elements("css selector", "#scans li")] == ["B1-0001", "B1-0002"]
    assert page.execute_script("return __tg.haptics") == [["notificationOccurred", "success"]] * 2
    assert page.execute_script("return __tg.scanOpen") is True

    # The callback returns true: Telegram closes the popup, so the next code has nowhere to go.
    assert page.execute_script("return __tg.feed('DONE')") is True
    assert page.execute_script("return [__tg.scanOpen, __tg.scanCallback]") == [False, None]
    with pytest.raises(Exception, match="not open"):
        page.execute_script("__tg.feed('B1-0003')")
    assert text_of(page, "last") == "DONE"


@requires_chromium
def test_the_stand_in_keeps_telegrams_contracts(page):
    # qrTextReceived handlers run after the callback; the page may reopen the popup once it closed.
    received = page.execute_script(
        "const got = []; Telegram.WebApp.onEvent('qrTextReceived', e => got.push(e.data));"
        "__tg.feed('A'); __tg.dismissScan();"
        "Telegram.WebApp.showScanQrPopup({}, () => true); __tg.feed('B');"
        "return [got, __tg.scanOpen]"
    )
    assert received == [["A", "B"], False]
    # Unknown values and a second popup are refused as Telegram refuses them.
    for call, error in (
        ("Telegram.WebApp.HapticFeedback.impactOccurred('loud')", "WebAppHapticImpactStyleInvalid"),
        ("Telegram.WebApp.HapticFeedback.notificationOccurred('ok')", "WebAppHapticNotificationTypeInvalid"),
        ("Telegram.WebApp.showScanQrPopup({text: 'x'.repeat(65)})", "WebAppScanQrPopupParamInvalid"),
        ("Telegram.WebApp.showScanQrPopup({}); Telegram.WebApp.showScanQrPopup({})", "WebAppScanQrPopupOpened"),
    ):
        with pytest.raises(Exception, match=error):
            page.execute_script(call)
    answer = page.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Telegram.WebApp.showConfirm('Admit anyway?', ok => Telegram.WebApp.showAlert('Admitted', () => done(ok)));"
    )
    assert answer is True
    assert page.execute_script("return [__tg.confirms, __tg.alerts]") == [["Admit anyway?"], ["Admitted"]]
    clicks = page.execute_script(
        "const b = Telegram.WebApp.MainButton, clicks = []; const f = () => clicks.push(1);"
        "b.setText('Admit').show().onClick(f); __tg.emit('mainButtonClicked'); b.offClick(f);"
        "__tg.emit('mainButtonClicked'); return [b.text, b.isVisible, clicks.length]"
    )
    assert clicks == ["Admit", True, 1]


@requires_chromium
def test_screenshot_shows_the_page(page, tmp_path):
    page.execute_script("__tg.feed('B1-0042')")
    path = save_screenshot(page, tmp_path / "shots", "scanner")
    assert path == tmp_path / "shots" / "scanner.png"
    with Image.open(path) as image:
        assert image.size == (DEFAULT_WIDTH, DEFAULT_HEIGHT)
        # The scanned code is drawn in green somewhere on the white page.
        assert (10, 125, 44) in {colour[:3] for _, colour in image.convert("RGB").getcolors(1 << 20)}


def test_a_dark_theme_is_dark():
    assert color_scheme({"bg_color": "#17212b"}) == "dark"
    assert color_scheme({"bg_color": "#ffffff"}) == "light"
    assert 'colorScheme: "dark"' in telegram_stand_in("", {"bg_color": "#000000"})
