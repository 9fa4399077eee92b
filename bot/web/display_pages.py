"""Room display pages: `/display/<token>/` (the page), `.../events` (pushed), `.../state`, `.../qr.png`.

A display listens to `events` (server-sent events): the server pushes its state
when a check-in touches its session (`SessionChanges`, woken from the service
layer's `attendance_changed`), when a rotating PIN changes, and every 25 s as
a heartbeat. Only the screens of the session that changed do any work, so 200
screens cost next to nothing while idle. `state` serves pages that cannot
keep a stream open (the page falls back to polling it).

The token in the path is the whole credential (see `bot.services.displays`):
a forged, expired, revoked or other-session token gets 403 and a plain page,
and a display never shows anything but its own session.

A display speaks the event language (`AppContext.event_language`), or the
`lang` parameter on its link (`/display/<token>/?lang=de`; an unknown value
means the event language). The parameter is not part of the signed token, so
anybody holding the link may change the display's language, which is harmless:
the link already shows everything the display shows. The page passes it on to
`events` and `state`, whose times and sentences follow it (`state_json`); the
states shared between screens (`RecentStates`) do not depend on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import asdict
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import tornado.iostream
import tornado.web

from bot import i18n
from bot.domain.times import format_local, format_span
from bot.files import qr
from bot.services import displays
from bot.services.context import AppContext
from bot.services.displays import DisplayRefused
from bot.web import page_texts, pages
from bot.web.security import WebHandler

log = logging.getLogger(__name__)
TIMES = ("starts_at", "ends_at", "opens", "closes")


def language_of(handler: tornado.web.RequestHandler, ctx: AppContext) -> str:
    """The link's `lang` parameter when it names a supported language, else the event language."""
    return page_texts.page_language(handler.get_query_argument("lang", None), ctx.event_language)


def refused_page() -> str:
    """The page a refused link gets, in the current language."""
    w = page_texts.DISPLAY_PAGE
    return pages.plain_page(i18n._(w["refused_title"]), i18n._(w["refused_heading"]), i18n._(w["refused_text"]))


@lru_cache(maxsize=1024)
def _times(starts: datetime, ends: datetime, opens: datetime, closes: datetime, tz: ZoneInfo, language: str):
    """`when` and `window` as `language` writes them (every screen of a session asks the same)."""
    with i18n.speaking(language):
        return format_span(starts, ends, tz), f"{format_local(opens, tz, False)}–{format_local(closes, tz, False)}"


def state_json(state: displays.DisplayState, ctx: AppContext) -> str:
    """The state as the page reads it, in the current language: its times, and the sentence
    about a rotating PIN."""
    shown = asdict(state)
    for name in TIMES:
        del shown[name]
    language = i18n.current()
    if language != ctx.event_language and state.starts_at is not None:
        moments = [getattr(state, name) for name in TIMES]
        shown["when"], shown["window"] = _times(*moments, ctx.timezone, language)
    shown["rotation"] = page_texts.rotation(state.rotates_every) if state.rotates_every else ""
    return json.dumps(shown)


@lru_cache(maxsize=256)
def _qr_png(link: str) -> bytes:
    return qr.qr_png(link, box_size=12, border=4)


HEARTBEAT = 25.0  # seconds: proxies close a silent connection
COALESCE = 0.2  # seconds: a burst of check-ins is one push


class RecentStates:
    """Each display link's state, computed once for every screen showing it.

    The projector and the screens at a room's doors hold the same link and wake together: the first
    asks the database, the others wait for its answer (one computation, not one per screen). A state
    is reused while it is at most `seconds` old and, when the caller names the session's version
    (`SessionChanges.version`, read before asking), only if it was computed at that version or later,
    so a screen never shows a count older than the change that woke it."""

    def __init__(self, ctx: AppContext, seconds: float = 1.0) -> None:
        self.ctx, self.seconds = ctx, seconds
        self.states: dict[str, tuple[float, int, displays.DisplayState]] = {}
        self.computing: dict[str, tuple[int, asyncio.Future]] = {}
        self.computed = 0  # how many times a state was asked of the database (bench/displays.py reads it)

    async def get(self, token: str, version: int = -1) -> displays.DisplayState:
        now = time.monotonic()
        cached = self.states.get(token)
        if cached and now - cached[0] < self.seconds and cached[1] >= version:
            return cached[2]
        flight = self.computing.get(token)
        if flight is None or flight[0] < version:
            flight = (version, asyncio.ensure_future(self._compute(token, version, now)))
            flight[1].add_done_callback(_retrieved)
            self.computing[token] = flight
        # shield: a screen that goes away while waiting must not cancel the others' answer
        return await asyncio.shield(flight[1])

    async def _compute(self, token: str, version: int, started: float) -> displays.DisplayState:
        self.computed += 1
        try:
            state = await displays.display_state(self.ctx, token)
        finally:
            if self.computing.get(token, (None, None))[1] is asyncio.current_task():
                del self.computing[token]
        if len(self.states) > 10_000:  # forged tokens are never cached, but keep the dict bounded anyway
            self.states.clear()
        self.states[token] = (started, version, state)
        return state


def _retrieved(future: asyncio.Future) -> None:
    """A refusal nobody waited for any more is not an error to log."""
    if not future.cancelled():
        future.exception()


class SessionChanges:
    """A counter per session, bumped when its attendance changes; streams wait for it to move.

    The database thread says which session changed once per check-in; the event loop is told at
    most once per `coalesce` seconds, about every session that changed in between: a burst of
    check-ins is one wake-up and one push per screen, not one per check-in (the first change of a
    quiet spell reaches the screens `coalesce` seconds later). `ANY` is a version of its own, moved
    with every delivery that changed any session: the organiser dashboard waits on it."""

    ANY = ""  # no session's id (ids have 1 to 32 characters)

    def __init__(self, coalesce: float = COALESCE) -> None:
        self.coalesce = coalesce
        self.versions: dict[str, int] = {}
        self.waiters: dict[str, set[asyncio.Future]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: set[str] = set()  # changed sessions the loop has not been told about yet
        self.lock = threading.Lock()
        self.wakeups = 0  # calls into the event loop (bench/displays.py reads it)

    def changed_from_any_thread(self, session_id: str) -> None:
        if self.loop is None:
            return
        with self.lock:
            wake = not self.pending
            self.pending.add(session_id.upper())
        if wake:  # the first change since the last delivery: deliver it, and all that follow it, soon
            self.wakeups += 1
            try:
                self.loop.call_soon_threadsafe(self.loop.call_later, self.coalesce, self._deliver)
            except RuntimeError:  # the loop is closed: the bot is stopping, no screen is left to tell
                with self.lock:
                    self.pending.clear()

    def _deliver(self) -> None:
        with self.lock:
            changed, self.pending = self.pending, set()
        for session_id in changed:
            self._changed(session_id)
        if changed:
            self._changed(self.ANY)

    def _changed(self, session_id: str) -> None:
        self.versions[session_id] = self.versions.get(session_id, 0) + 1
        for waiter in self.waiters.pop(session_id, set()):
            if not waiter.done():
                waiter.set_result(None)

    def version(self, session_id: str) -> int:
        return self.versions.get(session_id.upper(), 0)

    async def wait(self, session_id: str, seen: int, timeout: float, waiter: asyncio.Future | None = None) -> None:
        """Until the session's version passes `seen`, or `timeout` seconds, or `waiter` (the
        caller's own, e.g. resolved when its screen goes away) is done."""
        if self.version(session_id) != seen:
            return
        waiter = waiter or asyncio.get_running_loop().create_future()
        self.waiters.setdefault(session_id.upper(), set()).add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            self.waiters.get(session_id.upper(), set()).discard(waiter)


class DisplayEvents(WebHandler):
    """`/display/<token>/events`: the display's state, pushed as it changes."""

    def initialize(self, ctx: AppContext, states: RecentStates, changes: SessionChanges) -> None:
        self.ctx, self.states, self.changes = ctx, states, changes
        self.closed = False
        self.streaming = False
        self.waiter: asyncio.Future | None = None

    def on_connection_close(self) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)  # the stream ends now, not at its next change or heartbeat

    def send_error(self, status_code: int = 500, **kwargs) -> None:
        """Once events flow, a failure (the screen closed the page, the bot is stopping) can only end
        the stream: there is no error page to send, and nothing for the log but a note."""
        if not self.streaming:
            super().send_error(status_code, **kwargs)
            return
        log.info("display stream ended (%s)", status_code)
        self.request.connection.close()

    async def get(self, token: str) -> None:
        with i18n.speaking(language_of(self, self.ctx)):
            await self._get(token)

    async def _get(self, token: str) -> None:
        seen = self.changes.version(displays.session_of(token) or "")  # before the state: later changes are pushed
        try:
            state = await displays.display_state(self.ctx, token)
        except DisplayRefused as refused:
            log.warning("display link refused (403) from %s: %s", self.client_ip, refused)
            self.set_status(403)
            self.finish(json.dumps({"error": "display link not valid"}))
            return
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Accel-Buffering", "no")  # nginx: pass each event on at once
        try:
            await self._stream(token, state, seen)
        except DisplayRefused:  # revoked or expired while open: the page shows it is no longer valid
            self.write("event: refused\ndata: {}\n\n")
            self.finish()
        except (tornado.iostream.StreamClosedError, RuntimeError) as ended:
            # The screen went away, or the bot is stopping (its database closes): nothing to answer.
            log.info("display stream ended: %s", type(ended).__name__)

    async def _stream(self, token: str, state: displays.DisplayState, seen: int) -> None:
        session_id = state.session_id
        self.streaming = True
        while not self.closed:
            self.write(f"data: {state_json(state, self.ctx)}\n\n")
            await self.flush()
            timeout = HEARTBEAT if state.next_change_in is None else min(HEARTBEAT, state.next_change_in + 0.05)
            self.waiter = asyncio.get_running_loop().create_future()
            await self.changes.wait(session_id, seen, timeout, self.waiter)
            if self.closed:
                break
            seen = self.changes.version(session_id)
            state = await self.states.get(token, seen)


class DisplayHandler(WebHandler):
    def initialize(self, ctx: AppContext, states: RecentStates) -> None:
        self.ctx = ctx
        self.states = states

    async def get(self, token: str, part: str) -> None:
        with i18n.speaking(language_of(self, self.ctx)):
            await self._get(token, part)

    async def _get(self, token: str, part: str) -> None:
        try:
            state = await self.states.get(token)
        except DisplayRefused as refused:
            log.warning("display link refused (403) from %s: %s", self.client_ip, refused)
            self.set_status(403)
            self.finish(refused_page() if part == "" else json.dumps({"error": "display link not valid"}))
            return
        self.set_header("Cache-Control", "no-store")
        if part == "":
            self.finish(pages.render("display.html", page_texts.page_words(page_texts.DISPLAY_PAGE)))
        elif part == "state":
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(state_json(state, self.ctx))
        elif part == "qr.png" and state.check_in_link:
            self.set_header("Content-Type", "image/png")
            self.finish(await asyncio.to_thread(_qr_png, state.check_in_link))
        else:
            self.send_error(404)

    def write_error(self, status_code: int, **kwargs) -> None:
        with i18n.speaking(language_of(self, self.ctx)):
            self.finish(pages.not_available(status_code))
