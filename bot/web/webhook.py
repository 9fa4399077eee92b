"""Webhook mode: Telegram POSTs each update; it is stored before we answer 200 (served by `bot.web.server`).

Telegram retries an update until it gets a 2xx, so answering only after the
inbox commit gives the same guarantee as polling: a received check-in is
never lost. While the database cannot store (a full disk), the answer is 503.
Requests without the secret token are refused with 403.
"""

from __future__ import annotations

import hmac
import json
import logging

from bot.storage.db import StorageUnavailable
from bot.telegram.updates import UpdateProcessor
from bot.web.security import WebHandler

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
ALLOWED_UPDATES = ["message", "callback_query", "edited_message"]


class UpdateHandler(WebHandler):
    def initialize(self, processor: UpdateProcessor, secret: str) -> None:
        self.processor = processor
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request without the right secret token from %s", self.client_ip)
            self.set_status(403)
            return
        try:
            payload = json.loads(self.request.body)
            update_id = payload["update_id"]
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            self.set_status(400)
            return
        # An integer the inbox can store (SQLite's 64 bits): not 1.5, "12", true or 10**30.
        if type(update_id) is not int or not -(2**63) <= update_id < 2**63:
            self.set_status(400)
            return
        try:
            await self.processor.receive([payload])
        except StorageUnavailable:  # not stored: Telegram must deliver it again (logged by the processor)
            self.set_status(503)
            return
        self.set_status(200)
