"""A certificate's verification page: `/verify/<NUMBER>.<signature>` (the link printed on the
certificate, under its QR code).

The token is signed (`bot.domain.certificate_numbers`); `certificates.lookup` says what it names: a
valid, superseded (the page names the newer number, or says the attendance no longer earns credits)
or revoked certificate. An unknown or altered
link gets a plain 404 page, and nothing else is told about it. Each client address
(`WebHandler.client_ip`) may ask `LIMIT` pages a minute (`SlidingWindow`); more get a plain 429
page. The page speaks the `lang` parameter of its link, else the event language; the link itself
never reaches a log (`security.redact`).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from decimal import Decimal

from babel.numbers import format_decimal

from bot import i18n
from bot.domain.times import format_local
from bot.services import certificates
from bot.services.context import AppContext
from bot.web import page_texts, pages
from bot.web.security import WebHandler

log = logging.getLogger(__name__)
LIMIT = 30  # pages per client address
WINDOW = 60.0  # seconds


class SlidingWindow:
    """At most `limit` requests per key in any `seconds`: the times of the last requests, kept per key."""

    def __init__(self, limit: int = LIMIT, seconds: float = WINDOW, clock=time.monotonic) -> None:
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self.seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        if len(self.seen) > 10_000:  # many addresses: forget those quiet for a whole window
            self.seen = {k: q for k, q in self.seen.items() if q and now - q[-1] < self.seconds}
        times = self.seen.setdefault(key, deque())
        while times and now - times[0] >= self.seconds:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True


def _number(value) -> str:
    return format_decimal(value, locale=i18n.babel_locale())


class VerifyHandler(WebHandler):
    def initialize(self, ctx: AppContext, limit: SlidingWindow) -> None:
        self.ctx, self.limit = ctx, limit

    def language(self) -> str:
        return page_texts.page_language(self.get_query_argument("lang", None), self.ctx.event_language)

    async def get(self, token: str) -> None:
        with i18n.speaking(self.language()):
            await self._get(token)

    def _plain(self, status: int, kind: str) -> None:
        w = page_texts.VERIFY_PAGE
        self.set_status(status)
        self.finish(
            pages.plain_page(i18n._(w[f"{kind}_title"]), i18n._(w[f"{kind}_heading"]), i18n._(w[f"{kind}_text"]), 20)
        )

    async def _get(self, token: str) -> None:
        self.set_header("Cache-Control", "no-store")
        if not self.limit.allow(self.client_ip):
            log.warning("certificate verification refused (429) from %s", self.client_ip)
            self._plain(429, "too_many")
            return
        found = await certificates.lookup(self.ctx, token)
        if found is None:
            log.warning("certificate link refused (404) from %s", self.client_ip)
            self._plain(404, "unknown")
            return
        tz = self.ctx.timezone
        words = page_texts.page_words(page_texts.VERIFY_PAGE)
        kind = "withdrawn" if found.state == "superseded" and not found.superseded_by else found.state
        state = words[kind].format(number=found.superseded_by or "")
        sessions = [
            (line.title, format_local(line.starts_at, tz), str(line.minutes), _number(line.credits))
            for line in found.sessions
        ]
        self.finish(
            pages.render(
                "verify.html",
                words,
                found=found,
                state=state,
                issued=format_local(found.issued_at, tz, with_date=True),
                total=_number(Decimal(found.total)),
                sessions=sessions,
            )
        )

    def write_error(self, status_code: int, **kwargs) -> None:
        with i18n.speaking(self.language()):
            self.finish(pages.not_available(status_code))
