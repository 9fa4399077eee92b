"""The one web server in the bot's process: the webhook, the scanner Mini App and its API, room displays,
the dashboard and certificates' verification pages.

It runs on the bot's event loop and shares its database writer, so a scan
from the Mini App and a PIN from the chat queue for the same transactions.
Behind an https reverse proxy (see the README), `PUBLIC_URL` is the address
Telegram clients reach; without it the Mini App is not served.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import resources
from urllib.parse import urlparse

import tornado.web
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.config import Settings
from bot.services.context import AppContext
from bot.telegram.updates import UpdateProcessor, poll
from bot.web.dashboard_pages import DashboardEvents, DashboardHandler, SharedOverview
from bot.web.display_pages import COALESCE, DisplayEvents, DisplayHandler, RecentStates, SessionChanges
from bot.web.scanner_api import PerUserLimit, ScannerApi, ScannerPage
from bot.web.security import NotFound, WebHandler, hide, parse_networks, peer_address, redact, redact_tornado_logs
from bot.web.verify_pages import SlidingWindow, VerifyHandler
from bot.web.webhook import ALLOWED_UPDATES, MAX_BODY, UpdateHandler

log = logging.getLogger(__name__)
STATIC = str(resources.files("bot.web") / "static")


class StaticFiles(WebHandler, tornado.web.StaticFileHandler):
    """The pages' own files: never cached stale after an upgrade; like every answer of the server
    (`WebHandler`), never framed by another site and never sniffed as another type."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")

    @classmethod
    def get_absolute_path(cls, root: str, path: str) -> str:
        if "\x00" in path:  # no file has a NUL in its name, and os.path would raise ValueError (a 500)
            raise tornado.web.HTTPError(404)
        return super().get_absolute_path(root, path)


access_log = logging.getLogger("tornado.access")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log line, with the client's address (`WebHandler.client_ip`) and without the
    signed part of a display, dashboard or certificate link (`security.redact`)."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    access_log.log(
        level,
        "%d %s %s (%s) %.2fms",
        status,
        handler.request.method,
        redact(handler.request.path),
        getattr(handler, "client_ip", None) or peer_address(handler.request),
        1000 * handler.request.request_time(),
    )


def make_app(ctx: AppContext, processor: UpdateProcessor, settings: Settings) -> tornado.web.Application:
    hide(settings.webhook_secret, settings.bot_token)
    redact_tornado_logs()
    routes: list = []
    if settings.webhook_url:
        path = urlparse(settings.webhook_url).path or "/"
        routes.append((path, UpdateHandler, {"processor": processor, "secret": settings.webhook_secret}))
    if settings.public_url:
        states = RecentStates(ctx, seconds=COALESCE)
        changes = SessionChanges()
        shared = SharedOverview(ctx)
        shared.warm_up()
        changes.loop = asyncio.get_running_loop()
        ctx.attendance_changed = changes.changed_from_any_thread
        routes += [
            (r"/api/scanner/([a-z]+)", ScannerApi, {"ctx": ctx, "limit": PerUserLimit()}),
            (r"/miniapp/scanner/(?:scanner\.html)?", ScannerPage, {"ctx": ctx}),
            (r"/miniapp/scanner/(.*)", StaticFiles, {"path": STATIC, "default_filename": "scanner.html"}),
            (
                r"/display/([A-Za-z0-9._-]{1,80})/(|state|qr\.png)",
                DisplayHandler,
                {"ctx": ctx, "states": states},
            ),
            (
                r"/display/([A-Za-z0-9._-]{1,80})/events",
                DisplayEvents,
                {"ctx": ctx, "states": states, "changes": changes},
            ),
            (
                r"/dashboard/([0-9]{1,12}\.[0-9a-f]{1,64})/(|data|person|(?:session|chart|noshows)/[A-Za-z0-9._-]{1,32}"
                r"|report/[a-z]{1,12}\.[a-z]{1,5})",
                DashboardHandler,
                {"ctx": ctx, "shared": shared},
            ),
            (
                r"/dashboard/([0-9]{1,12}\.[0-9a-f]{1,64})/events",
                DashboardEvents,
                {"ctx": ctx, "shared": shared, "changes": changes},
            ),
            (r"/verify/([A-Za-z0-9._-]{1,80})", VerifyHandler, {"ctx": ctx, "limit": SlidingWindow()}),
            (r"/static/(.*)", StaticFiles, {"path": STATIC}),
        ]
    return tornado.web.Application(
        routes,
        compress_response=True,
        log_function=log_request,
        default_handler_class=NotFound,
        trusted_proxies=parse_networks(settings.trusted_proxies),
        database_path=settings.database_path,  # named in the log's line when it cannot store
    )


async def serve(application: Application, processor: UpdateProcessor, settings: Settings, stop: asyncio.Event) -> None:
    """Listen, then receive updates (by webhook, or by polling while the server serves the Mini App) until `stop`."""
    ctx: AppContext = application.bot_data["ctx"]
    # No xheaders: the handlers believe X-Forwarded-For from TRUSTED_PROXIES only (`WebHandler.client_ip`).
    server = HTTPServer(make_app(ctx, processor, settings), max_body_size=MAX_BODY)
    server.listen(settings.web_port, settings.web_listen)
    log.info("web server listening on %s:%s", settings.web_listen, settings.web_port)
    try:
        if settings.webhook_url:
            await application.bot.set_webhook(
                settings.webhook_url, secret_token=settings.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
            await stop.wait()
        else:
            await application.bot.delete_webhook()
            await poll(application, processor, stop)
    finally:
        server.stop()
