"""The organiser dashboard: `/dashboard/<token>/` (the page), `data` (JSON, polled), a session's
chart (`chart/<session>.svg`) and the report files (`report/<kind>.<fmt>`, the same as /report).

The signed token in the path is the login (see `bot.services.dashboard`); a bad
one gets 403 and a plain page, and nothing is computed for it.
"""

from __future__ import annotations

import json
import logging
from importlib import resources

import tornado.web

from bot.domain.times import format_local, format_span
from bot.services import dashboard, reports
from bot.services.context import AppContext
from bot.services.dashboard import DashboardRefused
from bot.services.errors import OrganiserError

log = logging.getLogger(__name__)
PAGE = (resources.files("bot.web") / "static" / "dashboard.html").read_text("utf-8")
REFUSED_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Dashboard link not valid</title>
<body style="font: 20px/1.4 system-ui, sans-serif; margin: 3em; max-width: 40em">
<h1>This dashboard link is not valid</h1>
<p>Links last 12 hours and end when a new one is made with /dashboard revoke. Send /dashboard to the bot
for a new one.</p></body></html>"""
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class DashboardHandler(tornado.web.RequestHandler):
    def initialize(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def get(self, token: str, part: str) -> None:
        try:
            await dashboard.check_link(self.ctx, token)
        except DashboardRefused as refused:
            log.warning("dashboard link refused (403) from %s: %s", self.request.remote_ip, refused)
            self.set_status(403)
            self.finish(REFUSED_PAGE)
            return
        self.set_header("Cache-Control", "no-store")
        if part == "":
            self.finish(PAGE)
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
        self.finish(f"<!doctype html><title>{status_code}</title><p>Not available ({status_code}).</p>")
