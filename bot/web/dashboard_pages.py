"""The organiser dashboard: `/dashboard/<token>/` (the page), `events` (the first view, pushed), `data`
(the same, polled), `session/<id>` (one session: who is inside, its no-shows, its refusals),
`noshows/<id>.csv`, `person?q=` (one person's day), a session's chart (`chart/<id>.svg`) and the
report files (`report/<kind>.<fmt>`, the same as /report).

The signed token in the path is the login (see `bot.services.dashboard`): every one of these
answers checks it first, and a bad one gets 403 (a plain page, or `{"error": ...}` for the
script's requests) with nothing computed for it. The person search and the no-shows download
show personal data: they too answer only a valid link.

Live counts use the room displays' mechanism (`bot.web.display_pages.SessionChanges`): the database
thread says which session changed, the event loop is told at most once per 0.2 s, and a dashboard's
stream wakes on any session's change (`SessionChanges.ANY`). A dashboard pushes at most once a
second (`GAP`) and every `HEARTBEAT` seconds without changes (statuses and "the last 15 minutes"
move with the clock); the first view is computed once for every dashboard open
(`SharedOverview`), off the database thread. A page that cannot hold a stream polls `data`.

The dashboard speaks the `lang` parameter of its link (`?lang=de`; the chat's /dashboard adds the
organiser's language), else the event language; an unknown value means the event language. Like a
display's, the parameter is not signed. The page passes it on to every request, so a downloaded
report has its headers, sheet names and dates in the dashboard's language.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import urlencode

import tornado.iostream

from bot import i18n
from bot.files import spreadsheet
from bot.services import dashboard, reports
from bot.services.context import AppContext
from bot.services.dashboard import DashboardRefused, Overview
from bot.services.errors import OrganiserError
from bot.web import dashboard_json, page_texts, pages
from bot.web.dashboard_json import OverviewText
from bot.web.display_pages import SessionChanges, _retrieved
from bot.web.security import WebHandler

log = logging.getLogger(__name__)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
GAP = 1.0  # seconds: a dashboard is pushed at most once a second, however many check-ins arrive
HEARTBEAT = 30.0  # seconds without a change: push anyway (the clock moves statuses on)
MAX_QUERY = 100  # characters of a person search


class SharedOverview:
    """The first view, computed once for every dashboard open: the first stream that wakes asks for
    it, the others wait for that answer. It is reused while at most `seconds` old and computed at the
    changes' version the caller names or later (read before asking, so no push is older than the
    change that woke it)."""

    def __init__(self, ctx: AppContext, seconds: float = GAP) -> None:
        self.ctx, self.seconds = ctx, seconds
        self.latest: tuple[float, int, Overview] | None = None
        self.flight: tuple[int, asyncio.Future] | None = None
        self.computed = 0  # how many times it was computed (bench/dashboard.py reads it)
        self.texts: dict[tuple[int, str], OverviewText] = {}  # (id of the overview, language) -> its JSON
        self.rows = dashboard_json.SessionRows()  # each session row's JSON, kept until the row changes
        self.tally = dashboard.Tally()  # the log read so far: each view reads only the rows added since
        self.lock: asyncio.Lock | None = None  # one computation at a time (they share the tally)

    def warm_up(self) -> None:
        """Read the log once now, in the background (at the server's start), so the first dashboard
        opened reads only what was added since."""
        self.flight = (-1, asyncio.ensure_future(self._compute(-1)))
        self.flight[1].add_done_callback(_retrieved)

    async def get(self, version: int = -1) -> Overview:
        latest = self.latest
        if latest and time.monotonic() - latest[0] < self.seconds and latest[1] >= version:
            return latest[2]
        if self.flight is None or self.flight[0] < version:
            self.flight = (version, asyncio.ensure_future(self._compute(version)))
            self.flight[1].add_done_callback(_retrieved)
        return await asyncio.shield(self.flight[1])

    async def _compute(self, version: int) -> Overview:
        self.lock = self.lock or asyncio.Lock()
        try:
            async with self.lock:
                started = time.monotonic()
                self.computed += 1
                try:
                    view = await dashboard.overview(self.ctx, self.tally)
                except BaseException:
                    self.tally = dashboard.Tally()  # cut short, it may have read part of the log: read it all again
                    raise
        finally:
            if self.flight is not None and self.flight[1] is asyncio.current_task():
                self.flight = None
        self.latest = (started, version, view)
        return view

    def json(self, view: Overview) -> OverviewText:
        """The overview's JSON in the current language, written once per language (and of its session
        rows only those that changed since the last view)."""
        key = (id(view), i18n.current())
        text = self.texts.get(key)
        if text is None:
            if len(self.texts) > 16:
                self.texts.clear()
            text = self.texts[key] = dashboard_json.overview_json(view, self.ctx.timezone, self.rows)
        return text


class DashboardBase(WebHandler):
    def initialize(self, ctx: AppContext, shared: SharedOverview, changes: SessionChanges | None = None) -> None:
        self.ctx, self.shared, self.changes = ctx, shared, changes

    def language(self) -> str:
        return page_texts.page_language(self.get_query_argument("lang", None), self.ctx.event_language)

    async def allowed(self, token: str, page: bool) -> bool:
        """Whether the link is valid; if not, the 403 answer is sent."""
        try:
            await dashboard.check_link(self.ctx, token)
            return True
        except DashboardRefused as refused:
            log.warning("dashboard link refused (403) from %s: %s", self.client_ip, refused)
        self.set_status(403)
        if page:
            w = page_texts.DASHBOARD_PAGE
            texts = (i18n._(w["refused_title"]), i18n._(w["refused_heading"]), i18n._(w["refused_text"]))
            self.finish(pages.plain_page(*texts, 20))
        else:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": "dashboard link not valid"}))
        return False

    def write_error(self, status_code: int, **kwargs) -> None:
        with i18n.speaking(self.language()):
            self.finish(pages.not_available(status_code))


class DashboardHandler(DashboardBase):
    async def get(self, token: str, part: str) -> None:
        with i18n.speaking(self.language()):
            await self._get(token, part)

    async def _get(self, token: str, part: str) -> None:
        # Only the page and the files a browser opens by themselves get a page as a refusal.
        if not await self.allowed(token, page=part == "" or part.startswith(("report/", "chart/", "noshows/"))):
            return
        self.set_header("Cache-Control", "no-store")
        if part == "":
            # The links keep the language the page was asked in (none asked: the event language).
            asked = i18n.supported((self.get_query_argument("lang", None) or "")[:35])
            query = f"?{urlencode({'lang': asked})}" if asked else ""
            words = page_texts.page_words(page_texts.DASHBOARD_PAGE) | {"reasons": page_texts.refusal_reasons()}
            self.finish(pages.render("dashboard.html", words, query=query))
        elif part == "data":
            self._json(self.shared.json(await self.shared.get()).whole())
        elif part == "person":
            await self._person()
        elif part.startswith("session/"):
            await self._session(part.removeprefix("session/"))
        elif part.startswith("noshows/") and part.endswith(".csv"):
            await self._no_shows(part.removeprefix("noshows/").removesuffix(".csv"))
        elif part.startswith("chart/") and part.endswith(".svg"):
            await self._chart(part.removeprefix("chart/").removesuffix(".svg"))
        elif part.startswith("report/"):
            await self._report(part.removeprefix("report/"))
        else:
            self.send_error(404)

    def _json(self, text: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(text)

    async def _person(self) -> None:
        query = (self.get_query_argument("q", "") or "").strip()
        if not query or len(query) > MAX_QUERY:
            self._json(json.dumps({"error": "query empty or too long"}), 400)
            return
        try:
            lookup = await reports.find_attendee_summary(self.ctx, query)
        except OrganiserError:  # nobody matches
            self._json(json.dumps({"found": "none"}))
            return
        self._json(dashboard_json.person_json(lookup, self.ctx.timezone))

    async def _session(self, session_id: str) -> None:
        try:
            detail = await dashboard.session_detail(self.ctx, session_id)
        except OrganiserError:
            self._json(json.dumps({"error": "no such session"}), 404)
            return
        self._json(dashboard_json.session_json(detail, self.ctx.timezone))

    async def _no_shows(self, session_id: str) -> None:
        try:
            detail = await dashboard.session_detail(self.ctx, session_id)
        except OrganiserError:
            self.send_error(404)
            return
        w = page_texts.DASHBOARD_PAGE
        header = [i18n._(w[k]) for k in ("attendee_id", "name", "registered", "targeted")]
        yes, no = i18n._(w["yes"]), ""
        rows = [
            (p.attendee_id, p.name, yes if p.registered else no, yes if p.targeted else no) for p in detail.no_shows
        ]
        data = await asyncio.to_thread(spreadsheet.csv_bytes, header, rows)
        self.set_header("Content-Type", CONTENT_TYPES["csv"])
        filename = f"no-shows-{detail.session.session_id}.csv".encode("ascii", "replace").decode()
        self.set_header("Content-Disposition", f'attachment; filename="{filename.replace(chr(34), "")}"')
        self.finish(data)

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


class DashboardEvents(DashboardBase):
    """`/dashboard/<token>/events`: the first view, pushed when attendance changes (at most once a
    `GAP`), and every `HEARTBEAT` seconds; the link is checked again before every push, against the
    secret read with the view (no database round trip per screen). The first push has every session
    row; the later ones only the rows that changed since the push before (a check-in moves one or two
    of 200), and the sessions' order only when it changed: a phone left open all day receives a few
    hundred bytes a second, not the whole view (`OverviewText.push`)."""

    def initialize(self, ctx: AppContext, shared: SharedOverview, changes: SessionChanges | None = None) -> None:
        super().initialize(ctx, shared, changes)
        self.closed, self.streaming = False, False
        self.waiter: asyncio.Future | None = None

    def on_connection_close(self) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def send_error(self, status_code: int = 500, **kwargs) -> None:
        if not self.streaming:
            super().send_error(status_code, **kwargs)
            return
        log.info("dashboard stream ended (%s)", status_code)
        self.request.connection.close()

    async def get(self, token: str) -> None:
        with i18n.speaking(self.language()):
            seen = self.changes.version(SessionChanges.ANY)  # before the view: later changes are pushed
            if not await self.allowed(token, page=False):
                return
            self.set_header("Content-Type", "text/event-stream")
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Accel-Buffering", "no")
            try:
                await self._stream(token, seen)
            except DashboardRefused:  # revoked or expired while open
                self.write("event: refused\ndata: {}\n\n")
                self.finish()
            except (tornado.iostream.StreamClosedError, RuntimeError) as ended:
                log.info("dashboard stream ended: %s", type(ended).__name__)

    async def _stream(self, token: str, seen: int) -> None:
        self.streaming = True
        view = await self.shared.get(seen)
        sent: dict[str, str] = {}  # session id -> the row this page was last sent
        order: tuple[str, ...] | None = None  # the sessions it was last told, in order
        while not self.closed:
            text = self.shared.json(view)
            changed = [row for session, row in zip(text.ids, text.rows, strict=True) if sent.get(session) != row]
            self.write(f"data: {text.push(changed, None if text.ids == order else text.ids)}\n\n")
            sent, order = dict(zip(text.ids, text.rows, strict=True)), text.ids
            await self.flush()
            pushed = time.monotonic()
            self.waiter = asyncio.get_running_loop().create_future()
            await self.changes.wait(SessionChanges.ANY, seen, HEARTBEAT, self.waiter)
            rest = GAP - (time.monotonic() - pushed)
            if rest > 0 and not self.closed:
                await asyncio.sleep(rest)  # a burst of check-ins: one push a second, not one per change
            if self.closed:
                break
            seen = self.changes.version(SessionChanges.ANY)
            view = await self.shared.get(seen)
            dashboard.verify(view.link_secret, token, view.now)  # revoked or expired since: refused
