"""Headless-browser harness for the bot's web pages (the Mini App for door scanners, room displays).

Pages are tested in a real browser: Debian's ``chromium`` driven by Selenium through Debian's
``chromium-driver``. Nothing is downloaded at run time: Selenium is handed both paths, so its
Selenium Manager never runs, and the browser can reach no host but 127.0.0.1, so a page's reference
to an outside script (Telegram's ``telegram-web-app.js``, which every Mini App loads) fails at once
instead of hanging on a network we do not have. In its place :func:`telegram_stand_in` provides
``window.Telegram.WebApp``, with hooks under ``window.__tg`` for a test to scan codes and read what
the page asked Telegram to do.

Usage::

    @requires_chromium
    def test_page(site):
        with open_browser(telegram_stand_in=telegram_stand_in(init_data)) as driver:
            driver.get(site + "/scan.html")
            driver.execute_script("window.__tg.feed(arguments[0])", "B1-1234")

``scripts/system-deps.sh`` installs the two packages when run as root (``make test`` runs it), so on
CI the browser tests run; elsewhere they are skipped with the line that installs them.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

# Where Debian's packages put them; the same paths scripts/system-deps.sh checks.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "sudo apt-get install chromium chromium-driver"

# Read by Selenium Manager, should anything ever start it: no usage statistics, no downloads.
os.environ.setdefault("SE_AVOID_STATS", "true")
os.environ.setdefault("SE_OFFLINE", "true")

# A phone held upright, as door staff hold it.
DEFAULT_WIDTH = 412
DEFAULT_HEIGHT = 915

_CHROMIUM_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",  # the sandbox refuses to start as root, which we are on CI
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is small in containers
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    # Every host name fails to resolve at once but the test server's address; with no proxy, nothing
    # routes around that.
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--force-device-scale-factor=1",  # a screenshot has exactly width × height pixels
    "--lang=en-US",
)


def chromium_available() -> bool:
    """Whether both Debian packages are installed: the browser tests need both."""
    return all(path.is_file() and os.access(path, os.X_OK) for path in (CHROMIUM, CHROMEDRIVER))


# CI installs Chromium (make test runs scripts/system-deps.sh as root), so there a missing browser
# fails the tests instead of quietly skipping them.
requires_chromium = pytest.mark.skipif(
    not chromium_available() and not os.environ.get("CI"),
    reason=f"Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}): {INSTALL_HINT}",
)


@contextmanager
def open_browser(
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    telegram_stand_in: str | None = None,
    timezone: str | None = None,
) -> Iterator[WebDriver]:
    """A fresh headless Chromium with a viewport of ``width`` × ``height``, quit on exit.

    ``timezone`` (an IANA name) is the zone the browser believes it is in, so a test can show that a
    page writes times in the event's zone whatever the viewer's computer says.

    ``telegram_stand_in`` is JavaScript run in every document before the page's own scripts (see
    :func:`telegram_stand_in`), so a Mini App finds ``window.Telegram.WebApp`` as it would in Telegram.
    """
    if not chromium_available():
        raise RuntimeError(f"Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}): {INSTALL_HINT}")
    # A profile of its own each time: no state leaks between tests, and nothing touches ~/.config.
    with tempfile.TemporaryDirectory(prefix="chromium-profile-", ignore_cleanup_errors=True) as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in _CHROMIUM_ARGUMENTS:
            options.add_argument(argument)
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        try:
            # A page that hangs fails its test in seconds rather than after Selenium's five minutes.
            driver.set_page_load_timeout(15)
            driver.set_script_timeout(5)
            # Headless Chromium keeps its window at least 500 pixels wide and its viewport smaller than the
            # window: set the viewport itself, so a phone-sized page is laid out at a phone's size.
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            if timezone is not None:
                driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": timezone})
            if telegram_stand_in is not None:
                driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": telegram_stand_in})
            yield driver
        finally:
            driver.quit()


def save_screenshot(driver: WebDriver, directory: Path, name: str) -> Path:
    """Save what the page shows now as ``directory/name.png``, for a person to look at."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (name if name.endswith(".png") else f"{name}.png")
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"Chromium could not save a screenshot to {path}")
    return path


# Telegram's own light theme: Telegram always sends theme parameters, so a page may rely on them.
DEFAULT_THEME = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}


def color_scheme(theme: dict) -> str:
    """ "dark" or "light", decided from ``bg_color`` the way telegram-web-app.js decides it."""
    colour = str(theme.get("bg_color", "#ffffff")).lstrip("#")
    try:
        r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return "light"
    return "dark" if (0.299 * r * r + 0.587 * g * g + 0.114 * b * b) ** 0.5 < 120 else "light"


def telegram_stand_in(init_data: str, theme: dict | None = None, *, platform: str = "android") -> str:
    """JavaScript defining a minimal ``window.Telegram.WebApp``, for :func:`open_browser`.

    It follows the names and contracts of Telegram's Mini App API (Bot API 8.0) for what a Mini App
    of ours uses, and records what the page asks for under ``window.__tg``:

    - ``haptics``: ``[method, argument]`` pairs, e.g. ``["notificationOccurred", "success"]``;
    - ``alerts``, ``confirms``: the messages shown (``confirmAnswer`` is what showConfirm answers);
    - ``scanOpen``, ``scanParams``, ``scanCallback``: the QR scanner popup;
    - ``feed(text)``: Telegram's scanner caught ``text``: the callback gets it, the popup closes when
      the callback returns true, and ``qrTextReceived`` handlers run; returns the callback's result;
    - ``dismissScan()``: the user closed the popup (``scanQrPopupClosed``);
    - ``emit(eventType, data)``: any other event, e.g. ``"mainButtonClicked"``;
    - ``ready``, ``expanded``, ``closed``, ``sentData``: what the page called.

    ``platform`` is "android" by default: Telegram offers the QR scanner on phones only.
    """
    theme = dict(DEFAULT_THEME if theme is None else theme)
    values = {
        "__INIT_DATA__": init_data,
        "__THEME__": theme,
        "__COLOR_SCHEME__": color_scheme(theme),
        "__PLATFORM__": platform,
    }
    source = _STAND_IN
    for placeholder, value in values.items():
        source = source.replace(placeholder, json.dumps(value))
    return source


_STAND_IN = r"""
(() => {
  "use strict";
  const initData = __INIT_DATA__;
  const themeParams = __THEME__;

  // initDataUnsafe as Telegram builds it: objects JSON-decoded, dates as numbers.
  const initDataUnsafe = {};
  for (const [key, value] of new URLSearchParams(initData)) {
    if (key === "user" || key === "receiver" || key === "chat") {
      try { initDataUnsafe[key] = JSON.parse(value); } catch (e) { initDataUnsafe[key] = value; }
    } else if (key === "auth_date" || key === "can_send_after") {
      initDataUnsafe[key] = Number(value);
    } else {
      initDataUnsafe[key] = value;
    }
  }

  const tg = {
    haptics: [], alerts: [], confirms: [], confirmAnswer: true, sentData: [], links: [],
    scanOpen: false, scanParams: null, scanCallback: null,
    ready: false, expanded: false, closed: false, handlers: {},
  };
  window.__tg = tg;

  // Telegram calls handlers with the WebApp object as `this`.
  tg.emit = (eventType, data) => {
    for (const handler of (tg.handlers[eventType] || []).slice()) handler.call(WebApp, data);
  };
  tg.feed = (text) => {
    if (!tg.scanOpen) throw new Error("window.__tg.feed: the QR scanner popup is not open");
    const callback = tg.scanCallback;
    const result = callback ? callback(text) : undefined;
    if (result === true) WebApp.closeScanQrPopup();
    tg.emit("qrTextReceived", { data: text });
    return result;
  };
  tg.dismissScan = () => {
    tg.scanOpen = false;
    tg.scanCallback = null;
    tg.emit("scanQrPopupClosed");
  };

  const button = (clickEvent, fields) => {
    const b = Object.assign({ isVisible: false }, fields);
    b.show = () => { b.isVisible = true; return b; };
    b.hide = () => { b.isVisible = false; return b; };
    b.onClick = (callback) => { WebApp.onEvent(clickEvent, callback); return b; };
    b.offClick = (callback) => { WebApp.offEvent(clickEvent, callback); return b; };
    return b;
  };
  const mainButton = (clickEvent) => {
    const b = button(clickEvent, {
      text: "Continue", color: themeParams.button_color, textColor: themeParams.button_text_color,
      isActive: true, isProgressVisible: false,
    });
    b.setText = (text) => { b.text = String(text); return b; };
    b.setParams = (params) => {
      if ("text" in params) b.text = String(params.text);
      if ("color" in params) b.color = params.color;
      if ("text_color" in params) b.textColor = params.text_color;
      if ("is_active" in params) b.isActive = Boolean(params.is_active);
      if ("is_visible" in params) b.isVisible = Boolean(params.is_visible);
      return b;
    };
    b.enable = () => { b.isActive = true; return b; };
    b.disable = () => { b.isActive = false; return b; };
    b.showProgress = () => { b.isProgressVisible = true; return b; };
    b.hideProgress = () => { b.isProgressVisible = false; return b; };
    return b;
  };

  // Telegram throws on values it does not know: so does the stand-in, so a typo fails a test.
  const IMPACT_STYLES = ["light", "medium", "heavy", "rigid", "soft"];
  const NOTIFICATION_TYPES = ["error", "success", "warning"];
  const HapticFeedback = {
    impactOccurred(style) {
      if (!IMPACT_STYLES.includes(style)) throw new Error("WebAppHapticImpactStyleInvalid");
      tg.haptics.push(["impactOccurred", style]);
      return HapticFeedback;
    },
    notificationOccurred(type) {
      if (!NOTIFICATION_TYPES.includes(type)) throw new Error("WebAppHapticNotificationTypeInvalid");
      tg.haptics.push(["notificationOccurred", type]);
      return HapticFeedback;
    },
    selectionChanged() {
      tg.haptics.push(["selectionChanged", null]);
      return HapticFeedback;
    },
  };

  const later = (callback, ...args) => { if (callback) setTimeout(() => callback(...args), 0); };
  const WebApp = {
    initData, initDataUnsafe, themeParams,
    colorScheme: __COLOR_SCHEME__,
    platform: __PLATFORM__,
    version: "8.0",
    isExpanded: false,
    viewportHeight: window.innerHeight,
    viewportStableHeight: window.innerHeight,
    headerColor: themeParams.bg_color,
    backgroundColor: themeParams.bg_color,
    isClosingConfirmationEnabled: false,
    isVerticalSwipesEnabled: true,
    MainButton: mainButton("mainButtonClicked"),
    SecondaryButton: mainButton("secondaryButtonClicked"),
    BackButton: button("backButtonClicked", {}),
    HapticFeedback,
    isVersionAtLeast(version) {
      const a = String(version).split(".").map(Number), b = [8, 0];
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if ((a[i] || 0) !== (b[i] || 0)) return (b[i] || 0) > (a[i] || 0);
      }
      return true;
    },
    ready() { tg.ready = true; },
    expand() { tg.expanded = true; WebApp.isExpanded = true; },
    close() { tg.closed = true; },
    sendData(data) { tg.sentData.push(String(data)); },
    openLink(url) { tg.links.push(String(url)); },
    openTelegramLink(url) { tg.links.push(String(url)); },
    setHeaderColor(color) { WebApp.headerColor = color; },
    setBackgroundColor(color) { WebApp.backgroundColor = color; },
    enableClosingConfirmation() { WebApp.isClosingConfirmationEnabled = true; },
    disableClosingConfirmation() { WebApp.isClosingConfirmationEnabled = false; },
    enableVerticalSwipes() { WebApp.isVerticalSwipesEnabled = true; },
    disableVerticalSwipes() { WebApp.isVerticalSwipesEnabled = false; },
    onEvent(eventType, callback) { (tg.handlers[eventType] = tg.handlers[eventType] || []).push(callback); },
    offEvent(eventType, callback) {
      const list = tg.handlers[eventType] || [];
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    },
    showAlert(message, callback) { tg.alerts.push(String(message)); later(callback); },
    showConfirm(message, callback) { tg.confirms.push(String(message)); later(callback, tg.confirmAnswer); },
    showScanQrPopup(params, callback) {
      if (tg.scanOpen) throw new Error("WebAppScanQrPopupOpened");
      const text = params && params.text !== undefined ? String(params.text).trim() : "";
      if (text.length > 64) throw new Error("WebAppScanQrPopupParamInvalid");
      tg.scanOpen = true;
      tg.scanParams = params;
      tg.scanCallback = callback || null;
    },
    closeScanQrPopup() { tg.scanOpen = false; tg.scanCallback = null; },
  };

  window.Telegram = Object.assign(window.Telegram || {}, { WebApp });

  // The CSS variables Telegram sets, for pages styled with them.
  const applyTheme = () => {
    const style = document.documentElement.style;
    for (const [key, value] of Object.entries(themeParams)) {
      style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
    style.setProperty("--tg-color-scheme", WebApp.colorScheme);
    style.setProperty("--tg-viewport-height", window.innerHeight + "px");
    style.setProperty("--tg-viewport-stable-height", window.innerHeight + "px");
  };
  if (document.documentElement) applyTheme();
  else document.addEventListener("DOMContentLoaded", applyTheme, { once: true });
})();
"""


async def until(driver: WebDriver, script: str, timeout: float = 10.0):
    """The value of the JavaScript expression `script` once it is truthy, polled off the event loop
    (the page's server runs on it); AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(driver.execute_script, f"return {script};")
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {script}")
        await asyncio.sleep(0.05)
