"""Webhook mode: Telegram POSTs each update; it is stored before we answer 200.

Telegram retries an update until it gets a 2xx, so answering only after the
inbox commit gives the same guarantee as polling: a received check-in is
never lost. Requests without the secret token are refused with 403.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from urllib.parse import urlparse

import tornado.web
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.config import Settings
from bot.runner import UpdateProcessor

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


class UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, processor: UpdateProcessor, secret: str) -> None:
        self.processor = processor
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request without the right secret token from %s", self.request.remote_ip)
            self.set_status(403)
            return
        try:
            payload = json.loads(self.request.body)
            int(payload["update_id"])
        except (ValueError, KeyError, TypeError):
            self.set_status(400)
            return
        await self.processor.receive([payload])
        self.set_status(200)


def make_app(processor: UpdateProcessor, settings: Settings) -> tornado.web.Application:
    path = urlparse(settings.webhook_url).path or "/"
    return tornado.web.Application([(path, UpdateHandler, {"processor": processor, "secret": settings.webhook_secret})])


async def serve_webhook(
    application: Application, processor: UpdateProcessor, settings: Settings, stop: asyncio.Event
) -> None:
    server = HTTPServer(make_app(processor, settings), max_body_size=MAX_BODY)
    server.listen(settings.webhook_port, settings.webhook_listen)
    await application.bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=["message", "callback_query", "edited_message"],
    )
    log.info("webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
    try:
        await stop.wait()
    finally:
        server.stop()
