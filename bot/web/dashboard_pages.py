"""The organiser dashboard: `/dashboard/<token>/` (the page), `data` (JSON, polled), a session's
chart (`chart/<session>.svg`) and the report files (`report/<kind>.<fmt>`, the same as /report).

The signed token in the path is the login (see `bot.services.dashboard`); a bad
one gets 403 and a plain page, and nothing is computed for it.

The dashboard speaks the `lang` parameter of its link (`?lang=de`; the chat's
/dashboard adds the organiser's language), else the event language; an unknown
value means the event language. Like a display's, the parameter is not signed:
whoever holds the link may change its language. The page passes it on to `data`,
the charts and the report links, so a downloaded report has its headers, sheet
names and dates in the dashboard's language.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from bot import i18n
from bot.domain.times import format_clock, format_local, format_span
from bot.services import dashboard, reports
from bot.services.context import AppContext
from bot.services.dashboard import DashboardRefused
from bot.services.errors import OrganiserError
from bot.web import page_texts, pages
from bot.web.security import WebHandler

log = logging.getLogger(__name__)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class DashboardHandler(WebHandler):
    def initialize(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def language(self) -> str:
        return page_texts.page_language(self.get_query_argument("lang", None), self.ctx.event_language)

    async def get(self, token: str, part: str) -> None:
        with i18n.speaking(self.language()):
            await self._get(token, part)

    async def _get(self, token: str, part: str) -> None:
        try:
            await dashboard.check_link(self.ctx, token)
        except DashboardRefused as refused:
            log.warning("dashboard link refused (403) from %s: %s", self.client_ip, refused)
            self.set_status(403)
            w = page_texts.DASHBOARD_PAGE
            self.finish(
                pages.plain_page(
                    i18n._(w["refused_title"]), i18n._(w["refused_heading"]), i18n._(w["refused_text"]), 20
                )
            )
            return
        self.set_header("Cache-Control", "no-store")
        if part == "":
            # The links keep the language the page was asked in (none asked: the event language).
            asked = i18n.supported((self.get_query_argument("lang", None) or "")[:35])
            query = f"?{urlencode({'lang': asked})}" if asked else ""
            self.finish(pages.render("dashboard.html", page_texts.page_words(page_texts.DASHBOARD_PAGE), query=query))
        elif part == "data":
            await self._data(token)
        elif part.startswith("chart/") and part.endswith(".svg"):
            await self._chart(part.removeprefix("chart/").removesuffix(".svg"))
        elif part.startswith("report/"):
            await self._report(part.removeprefix("report/"))
        else:
            self.send_error(404)

    async def _data(self, token: str) -> None:
        state = await dashboard.dashboard(self.ctx, token)
        tz = self.ctx.timezone
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(
            json.dumps(
                {
                    # The page's clock: the event's time, whatever zone the organiser's computer is in.
                    "updated": format_clock(self.ctx.clock(), tz),
                    "sessions": [
                        {
                            "id": s.session_id,
                            "title": s.title,
                            "room": s.room,
                            "when": format_span(s.starts_at, s.ends_at, tz),
                            "checked_in": s.checked_in,
                            "inside": s.inside_now,
                            "capacity": s.capacity,
                        }
                        for s in state.sessions
                    ],
                    "refusals": [
                        {
                            "at": format_local(r.at, tz, with_date=False),
                            "session": r.session_id,
                            "who": r.attendee,
                            "method": r.method,
                            "reason": r.reason,
                        }
                        for r in state.refusals
                    ],
                }
            )
        )

    async def _chart(self, session_id: str) -> None:
        try:
            svg = await dashboard.session_chart(self.ctx, session_id, "svg")
        except OrganiserError:
            self.send_error(404)
            return
        self.set_header("Content-Type", "image/svg+xml")
        self.finish(svg)

    async def _report(self, name: str) -> None:
        kind, _, fmt = name.partition(".")
        try:
            report = await reports.build_report(self.ctx, kind, fmt)
        except OrganiserError:
            self.send_error(404)
            return
        self.set_header("Content-Type", CONTENT_TYPES[report.fmt])
        self.set_header("Content-Disposition", f'attachment; filename="{report.filename}"')
        self.finish(report.data)

    def write_error(self, status_code: int, **kwargs) -> None:
        with i18n.speaking(self.language()):
            self.finish(pages.not_available(status_code))
