"""Room display pages: `/display/<token>/` (the page), `.../state` (JSON, polled), `.../qr.png`.

The token in the path is the whole credential (see `bot.services.displays`):
a forged, expired, revoked or other-session token gets 403 and a plain page,
and a display never shows anything but its own session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict
from functools import lru_cache
from importlib import resources

import tornado.web

from bot import qr
from bot.services import displays
from bot.services.context import AppContext
from bot.services.displays import DisplayRefused

log = logging.getLogger(__name__)
PAGE = (resources.files("bot.web") / "static" / "display.html").read_text("utf-8")
REFUSED_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Display link not valid</title>
<body style="font: 24px/1.4 system-ui, sans-serif; margin: 3em; max-width: 40em">
<h1>This display link is not valid</h1>
<p>It may have expired or been replaced. Ask an organiser for a new one (/display in the bot).</p></body></html>"""


@lru_cache(maxsize=256)
def _qr_png(link: str) -> bytes:
    return qr.qr_png(link, box_size=12, border=4)


class RecentStates:
    """Each display link's state for up to a second: the projector and the screens at a room's doors
    poll the same link, and one computation serves them all (a revoked link may show for that second)."""

    def __init__(self, ctx: AppContext, seconds: float = 1.0) -> None:
        self.ctx, self.seconds = ctx, seconds
        self.states: dict[str, tuple[float, displays.DisplayState]] = {}

    async def get(self, token: str) -> displays.DisplayState:
        now = time.monotonic()
        cached = self.states.get(token)
        if cached and now - cached[0] < self.seconds:
            return cached[1]
        state = await displays.display_state(self.ctx, token)
        if len(self.states) > 10_000:  # forged tokens are never cached, but keep the dict bounded anyway
            self.states.clear()
        self.states[token] = (now, state)
        return state


class DisplayHandler(tornado.web.RequestHandler):
    def initialize(self, ctx: AppContext, states: RecentStates) -> None:
        self.ctx = ctx
        self.states = states

    async def get(self, token: str, part: str) -> None:
        try:
            state = await self.states.get(token)
        except DisplayRefused as refused:
            log.warning("display link refused (403) from %s: %s", self.request.remote_ip, refused)
            self.set_status(403)
            self.finish(REFUSED_PAGE if part == "" else json.dumps({"error": "display link not valid"}))
            return
        self.set_header("Cache-Control", "no-store")
        if part == "":
            self.finish(PAGE)
        elif part == "state":
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps(asdict(state)))
        elif part == "qr.png" and state.check_in_link:
            self.set_header("Content-Type", "image/png")
            self.finish(await asyncio.to_thread(_qr_png, state.check_in_link))
        else:
            self.send_error(404)

    def write_error(self, status_code: int, **kwargs) -> None:
        self.finish(f"<!doctype html><title>{status_code}</title><p>Not available ({status_code}).</p>")
