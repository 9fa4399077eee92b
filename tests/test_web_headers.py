"""What every answer of the web server carries (CSP, framing, referrer, nosniff), logs without a
credential in them, client addresses believed from trusted proxies only, and the pages working in
Chromium under their Content-Security-Policy."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from selenium.webdriver.common.by import By
from tornado.httpserver import HTTPServer

from bot.config import ConfigError, load_settings
from bot.services import displays
from bot.web import dashboard_json, security
from bot.web.security import MINI_APP_POLICY, PAGE_POLICY, WebHandler, redact
from bot.web.server import make_app
from tests.browser import open_browser, requires_chromium, save_screenshot, telegram_stand_in, until
from tests.fakebot import TOKEN
from tests.harness import ORGANISER, BotHarness, User, free_port
from tests.miniapp import init_data_for
from tests.web import PUBLIC_URL, served_event

DORA = User(700, "Dora", "dora_door")
SECRET = "s3cret-token-for-tests_0123456789"
FORGED_CLIENT = "203.0.113.9"


def local(h: BotHarness, url: str) -> str:
    return url.replace(PUBLIC_URL, h.root)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


@asynccontextmanager
async def another_server(h: BotHarness, xheaders: bool = False, **settings) -> AsyncIterator[str]:
    """The same event served by a second server with other settings; yields its root."""
    port = free_port()
    server = HTTPServer(make_app(h.ctx, h.processor, dataclasses.replace(h.settings, **settings)), xheaders=xheaders)
    server.listen(port, "127.0.0.1")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


async def event_with_a_scanner(tmp_path):
    cm = served_event(tmp_path)
    h = await cm.__aenter__()
    await h.send(DORA, "/start")
    await h.send(ORGANISER, "/scanner @dora_door S1 S2")
    await h.send(User(501, "Ada", "ada_l"), "KEY1IN")
    return cm, h


def forged(token: str) -> str:
    """The token with another last digit of its signature."""
    return token[:-1] + ("0" if token[-1] != "0" else "1")


def server_log(caplog) -> str:
    """What the server logged (the test's own HTTP client logs the URLs it asked for)."""
    return "\n".join(caplog.handler.format(r) for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))


async def dashboard_url(h: BotHarness) -> str:
    reply = await h.reply_text(ORGANISER, "/dashboard")
    return local(h, next(line for line in reply.splitlines() if line.startswith("https://")))


# ---------------------------------------------------------------- every kind of answer

# kind: (expected status, expected content type's start; None: any)
KINDS = {
    "scanner page": (200, "text/html"),
    "scanner js": (200, None),  # text/javascript or application/javascript, as the system says
    "scanner css": (200, "text/css"),
    "static css": (200, "text/css"),
    "scanner api": (200, "application/json"),
    "scanner api 401": (401, "application/json"),
    "scanner api 400": (400, "application/json"),
    "display page": (200, "text/html"),
    "display state": (200, "application/json"),
    "display qr": (200, "image/png"),
    "display 403": (403, "text/html"),
    "display events": (200, "text/event-stream"),
    "display 500": (500, "text/html"),
    "dashboard page": (200, "text/html"),
    "dashboard data": (200, "application/json"),
    "dashboard chart": (200, "image/svg+xml"),
    "dashboard report": (200, "application/vnd.openxmlformats"),
    "dashboard 403": (403, "text/html"),
    "dashboard 404": (404, "text/html"),
    "unknown path 404": (404, "text/html"),
    "verify 404": (404, "text/html"),
    "webhook 403": (403, None),
    "webhook 400": (400, None),
}


async def collect_answers(tmp_path) -> dict[str, httpx.Response]:
    """One answer of each kind, from one served event."""
    cm, h = await event_with_a_scanner(tmp_path)
    try:
        display = local(h, (await displays.display_link(h.ctx, "S1")).url)
        board = await dashboard_url(h)
        api = f"{h.root}/api/scanner/sessions"
        signed = init_data_for(DORA.id, TOKEN, "Dora", int(time.time()), username="dora_door")
        get, post = h.http.get, h.http.post
        answers = {
            "scanner page": await get(f"{h.root}/miniapp/scanner/"),
            "scanner js": await get(f"{h.root}/miniapp/scanner/scanner.js"),
            "scanner css": await get(f"{h.root}/miniapp/scanner/scanner.css"),
            "static css": await get(f"{h.root}/static/display.css"),
            "scanner api": await post(api, content=json.dumps({"initData": signed})),
            "scanner api 401": await post(api, content=json.dumps({"initData": "user=1&hash=00"})),
            "scanner api 400": await post(api, content=b"{not json"),
            "display page": await get(display),
            "display state": await get(display + "state"),
            "display qr": await get(display + "qr.png"),
            "display 403": await get(display.replace("/display/S1.", "/display/S2.")),
            "dashboard page": await get(board),
            "dashboard data": await get(board + "data"),
            "dashboard chart": await get(board + "chart/S1.svg"),
            "dashboard report": await get(board + "report/checkins.xlsx"),
            "dashboard 403": await get(board.replace(token_of(board), forged(token_of(board)))),
            "dashboard 404": await get(board + "chart/S99.svg"),
            "unknown path 404": await get(f"{h.root}/wp-login.php"),
            "verify 404": await get(f"{h.root}/verify/7KQ2M9XD4TPA.0123456789abcdef0123456789abcdef"),
        }
        async with h.http.stream("GET", display + "events") as stream:
            answers["display events"] = stream  # headers only: the stream stays open
        original = displays.display_state

        async def broken(*args):
            raise RuntimeError("the database went away")

        displays.display_state = broken
        try:
            answers["display 500"] = await get(local(h, (await displays.display_link(h.ctx, "S2")).url) + "state")
        finally:
            displays.display_state = original
        async with another_server(h, webhook_url="https://bot.example.org/tg-hook", webhook_secret=SECRET) as root:
            hook = f"{root}/tg-hook"
            answers["webhook 403"] = await post(hook, content=b"{}", headers={"X-Telegram-Bot-Api-Secret-Token": "no"})
            answers["webhook 400"] = await post(hook, content=b"{", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        return answers
    finally:
        await cm.__aexit__(None, None, None)


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> dict[str, httpx.Response]:
    return asyncio.run(collect_answers(tmp_path_factory.mktemp("answers")))


def test_every_kind_of_answer_was_asked_for(answers):
    assert set(answers) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_answer_is_the_kind_it_says(answers, kind):
    status, content_type = KINDS[kind]
    answer = answers[kind]
    assert answer.status_code == status
    if content_type:
        assert answer.headers["content-type"].startswith(content_type)
    if status >= 400 and content_type and content_type.startswith("text/html"):
        assert "Traceback" not in answer.text


@pytest.mark.parametrize("kind", KINDS)
def test_content_security_policy(answers, kind):
    policy = answers[kind].headers["content-security-policy"]
    assert policy == (MINI_APP_POLICY if kind == "scanner page" else PAGE_POLICY)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["script-src"] == ("'self' https://telegram.org" if kind == "scanner page" else "'self'")
    assert "unsafe" not in policy  # neither 'unsafe-inline' nor 'unsafe-eval'


@pytest.mark.parametrize("kind", KINDS)
def test_framing(answers, kind):
    headers = answers[kind].headers
    ancestors = next(d for d in headers["content-security-policy"].split("; ") if d.startswith("frame-ancestors"))
    if kind == "scanner page":  # Telegram Web A and K show the Mini App in a frame
        assert ancestors == "frame-ancestors https://web.telegram.org https://*.telegram.org"
        assert "x-frame-options" not in headers
    else:
        assert ancestors == "frame-ancestors 'none'"
        assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("kind", KINDS)
def test_referrer_policy(answers, kind):
    assert answers[kind].headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("kind", KINDS)
def test_nosniff(answers, kind):
    assert answers[kind].headers["x-content-type-options"] == "nosniff"


def test_every_handler_derives_from_the_one_that_sets_the_headers(tmp_path):
    async def routes():
        h = await BotHarness(
            tmp_path, PUBLIC_URL=PUBLIC_URL, WEBHOOK_URL="https://x.example.org/h", WEBHOOK_SECRET=SECRET
        ).start()
        try:
            app = make_app(h.ctx, h.processor, h.settings)
        finally:
            await h.stop()
        return app

    app = asyncio.run(routes())
    handlers = [rule.target for rule in app.wildcard_router.rules]
    assert len(handlers) >= 8 and all(issubclass(handler, WebHandler) for handler in handlers)
    assert issubclass(app.settings["default_handler_class"], WebHandler)


# ---------------------------------------------------------------- logs without credentials


@pytest.fixture
async def site(tmp_path):
    cm, h = await event_with_a_scanner(tmp_path)
    try:
        yield h
    finally:
        await cm.__aexit__(None, None, None)


async def test_an_uncaught_exception_on_a_signed_link_logs_what_went_wrong_but_not_the_link(site, caplog, monkeypatch):
    caplog.set_level(logging.INFO)
    display = local(site, (await displays.display_link(site.ctx, "S1")).url)
    board = await dashboard_url(site)

    async def broken(*args):
        raise RuntimeError("the database went away")

    def broken_json(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(displays, "display_state", broken)
    monkeypatch.setattr(dashboard_json, "overview_json", broken_json)
    assert (await site.http.get(display + "state")).status_code == 500
    assert (await site.http.get(board + "data")).status_code == 500
    uncaught = [r for r in caplog.records if r.name == "tornado.application"]
    assert [r.getMessage() for r in uncaught] == [
        "Uncaught exception GET /display/…/state (127.0.0.1)",
        "Uncaught exception GET /dashboard/…/data (127.0.0.1)",
    ]
    logged = server_log(caplog)
    assert logged.count("RuntimeError: the database went away") == 2  # the traceback is still there
    for token in (token_of(display), token_of(board)):
        assert token not in logged and token.rsplit(".", 1)[1] not in logged


async def test_tornado_warnings_initdata_and_the_webhook_secret_never_reach_a_log(site, caplog):
    caplog.set_level(logging.INFO)
    token = token_of((await displays.display_link(site.ctx, "S1")).url)
    signed = init_data_for(DORA.id, TOKEN, "Dora", int(time.time()))
    async with another_server(site, webhook_url="https://bot.example.org/tg-hook", webhook_secret=SECRET):
        general = logging.getLogger("tornado.general")
        general.warning("Malformed HTTP message from %s: GET /display/%s/events", "198.51.100.1", token)
        logging.getLogger("tornado.application").error("body was %s", json.dumps({"initData": signed}))
        logging.getLogger("tornado.general").warning("header %s", SECRET)
        try:
            raise ValueError(f"/dashboard/{token}/data")
        except ValueError:
            logging.getLogger("tornado.application").exception("failed")
    logged = server_log(caplog)
    assert "Malformed HTTP message from 198.51.100.1: GET /display/…/events" in logged
    assert '{"initData": "…"}' in logged and "ValueError: /dashboard/…/data" in logged
    for secret in (token, signed, SECRET, signed.rsplit("hash=", 1)[1]):
        assert secret not in logged


def test_redact():
    assert redact("GET /display/S1.1700000000.abcdef/qr.png?v=1") == "GET /display/…/qr.png?v=1"
    assert redact("/dashboard/1700000000.abc") == "/dashboard/…"
    assert redact("GET /verify/7KQ2M9XD4TPA.0123456789abcdef0123456789abcdef?lang=de") == "GET /verify/…?lang=de"
    assert redact("#tgWebAppData=query_id%3DAA%26hash%3Dff&tgWebAppVersion=8.0") == (
        "#tgWebAppData=…&tgWebAppVersion=8.0"
    )
    assert redact("POST /api/scanner/scan (10.0.0.1)") == "POST /api/scanner/scan (10.0.0.1)"


# ---------------------------------------------------------------- addresses from trusted proxies only


def access_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tornado.access"]


async def test_a_trusted_proxy_names_the_client(site, caplog):
    caplog.set_level(logging.INFO)
    forged = local(site, (await displays.display_link(site.ctx, "S1")).url).replace("/display/S1.", "/display/S2.")
    page = f"{site.root}/miniapp/scanner/"
    await site.http.get(page, headers={"X-Forwarded-For": FORGED_CLIENT})
    await site.http.get(page, headers={"X-Forwarded-For": f"198.51.100.7, {FORGED_CLIENT}, 127.0.0.1"})
    await site.http.get(page, headers={"X-Real-IP": FORGED_CLIENT})
    await site.http.get(forged, headers={"X-Forwarded-For": FORGED_CLIENT})
    lines = access_lines(caplog)
    assert len(lines) == 4 and all(f"({FORGED_CLIENT})" in line for line in lines)
    assert f"display link refused (403) from {FORGED_CLIENT}" in caplog.text


@pytest.mark.parametrize("xheaders", [False, True])
async def test_an_untrusted_peer_cannot_name_another_client(site, caplog, xheaders):
    caplog.set_level(logging.INFO)
    async with another_server(site, xheaders=xheaders, trusted_proxies=("192.0.2.1",)) as root:
        forged = local(site, (await displays.display_link(site.ctx, "S1")).url).replace(site.root, root)
        forged = forged.replace("/display/S1.", "/display/S2.")
        for headers in ({"X-Forwarded-For": FORGED_CLIENT}, {"X-Real-IP": FORGED_CLIENT}):
            await site.http.get(f"{root}/miniapp/scanner/", headers=headers)
            await site.http.get(forged, headers=headers)
            await site.http.post(f"{root}/api/scanner/sessions", content=b'{"initData": "x"}', headers=headers)
    lines = access_lines(caplog)
    assert len(lines) == 6 and all("(127.0.0.1)" in line for line in lines)
    assert "display link refused (403) from 127.0.0.1" in caplog.text
    assert "Mini App request refused (401) from 127.0.0.1" in caplog.text
    assert FORGED_CLIENT not in server_log(caplog)


def test_trusted_proxies_setting():
    def proxies(value: str):
        return load_settings({"TRUSTED_PROXIES": value}, require_token=False).trusted_proxies

    assert proxies("") == ("127.0.0.1", "::1")
    assert proxies("10.0.0.2, 192.168.0.0/16,::1") == ("10.0.0.2", "192.168.0.0/16", "::1")
    assert proxies("none") == ()
    with pytest.raises(ConfigError) as refused:
        proxies("127.0.0.1,proxy.local")
    assert "TRUSTED_PROXIES contains 'proxy.local'" in str(refused.value) and "\n" not in str(refused.value)
    assert security.parse_networks(proxies("192.168.0.0/16"))[0].num_addresses == 65536


# ---------------------------------------------------------------- the pages under their policy

# Run in every document before its own scripts: whatever the policy blocks is written down.
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


async def violations(driver) -> list[str]:
    seen = await asyncio.to_thread(driver.execute_script, "return window.__violations;")
    log = await asyncio.to_thread(driver.get_log, "browser")
    return list(seen) + [entry["message"] for entry in log if "Content Security Policy" in entry["message"]]


@requires_chromium
async def test_the_pages_work_under_their_policy(site, tmp_path):
    display = local(site, (await displays.display_link(site.ctx, "S1")).url)
    board = await dashboard_url(site)
    signed = init_data_for(DORA.id, TOKEN, "Dora", int(time.time()), username="dora_door")
    with open_browser(width=1280, height=900, telegram_stand_in=telegram_stand_in(signed)) as driver:
        await asyncio.to_thread(driver.execute_cdp_cmd, "Page.addScriptToEvaluateOnNewDocument", {"source": VIOLATIONS})

        await asyncio.to_thread(driver.get, display)
        await until(driver, "document.getElementById('pin').innerText === 'KEY1IN'")
        await until(driver, "document.getElementById('checked').innerText === '1'")
        await until(driver, "document.getElementById('qr').complete && document.getElementById('qr').naturalWidth > 0")
        save_screenshot(driver, tmp_path, "display")
        assert await violations(driver) == []

        await asyncio.to_thread(driver.get, board)
        await until(driver, "document.querySelectorAll('#sessions .srow').length === 3")
        first = await asyncio.to_thread(driver.execute_script, "return document.querySelector('.srow').textContent")
        assert first.startswith("S1 · Opening keynote") and "running" in first
        await until(driver, "document.querySelectorAll('#day-chart svg rect.bar').length > 0")
        await asyncio.to_thread(lambda: driver.find_element(By.CSS_SELECTOR, "#sessions .srow").click())
        await until(driver, "document.querySelectorAll('#inside-list li').length === 1")
        await until(
            driver, "document.getElementById('chart').complete && document.getElementById('chart').naturalWidth"
        )
        save_screenshot(driver, tmp_path, "dashboard")
        assert await violations(driver) == []

        await asyncio.to_thread(driver.get, f"{site.root}/miniapp/scanner/")
        await until(driver, "document.querySelectorAll('#sessions button').length === 2")
        save_screenshot(driver, tmp_path, "scanner")
        assert await violations(driver) == []

        forged = display.replace("/display/S1.", "/display/S2.")
        await asyncio.to_thread(driver.get, forged)
        size = await asyncio.to_thread(
            driver.execute_script, "return getComputedStyle(document.querySelector('h1')).fontSize;"
        )
        assert size == "48px"  # 2em of the refused page's 24 px: its style block is allowed
        save_screenshot(driver, tmp_path, "refused")
        assert await violations(driver) == []

        # The check would see a violation: an inline style is refused, and written down.
        await asyncio.to_thread(driver.execute_script, "document.body.setAttribute('style', 'color: red');")
        await until(driver, "window.__violations.length > 0")
        assert (await violations(driver))[0].startswith("style-src-attr inline")
