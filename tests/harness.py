"""Drive the real Application through the fake Bot API, as Telegram users would."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import load_settings
from bot.services import event
from bot.services.context import build_context
from bot.storage.db import Database
from bot.telegram.application import build_application
from bot.telegram.updates import UpdateProcessor
from rehearsal.bot_process import free_port as free_port  # where tests start their servers
from tests.fakebot import TOKEN, Call, FakeBotAPI

ADMIN = 111


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


@dataclass(frozen=True)
class User:
    id: int
    first_name: str = "Ada"
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None  # the Telegram app's language, as every update carries it

    def as_dict(self) -> dict:
        d = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        if self.last_name:
            d["last_name"] = self.last_name
        return d


ORGANISER = User(ADMIN, "Olga", "olga_org")


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


# Tests about other rules check in at any time of the event's day: a whole-day
# window (an organiser setting) keeps them independent of the clock. Tests of
# the windows themselves pass `default_windows=True`.
WHOLE_DAY = ("1440", "1440", "1440")


class BotHarness:
    def __init__(self, tmp_path: Path, default_windows: bool = False, synchronous: str = "FULL", **env: str) -> None:
        self.default_windows = default_windows
        self.synchronous = synchronous
        self.env = {
            "BOT_TOKEN": TOKEN,
            "ADMIN_IDS": str(ADMIN),
            "DATABASE_PATH": str(tmp_path / "event.db"),
            "EVENT_TIMEZONE": "Europe/Paris",
            "RATE_LIMIT": "false",
            **env,
        }
        self.api = FakeBotAPI()
        self.clock = FakeClock(datetime(2026, 5, 14, 8, 0, tzinfo=UTC))

    async def start(self) -> BotHarness:
        self.settings = load_settings(self.env)
        self.db = await Database(self.settings.database_path, self.synchronous).open()
        self.ctx = await build_context(self.settings, self.db, clock=self.clock)
        if not self.default_windows:
            await event.set_window_settings(self.ctx, *WHOLE_DAY)
        self.app = build_application(self.ctx, request=self.api)
        await self.app.initialize()
        self.ctx.bot_username = self.app.bot.username
        self.processor = UpdateProcessor(self.app, self.ctx)
        return self

    async def stop(self) -> None:
        await self.processor.drain()
        await self.app.shutdown()
        await self.db.close()

    # ---------------------------------------------------------------- sending updates

    def _message(self, user: User, **content) -> dict:
        return {
            "update_id": next(_update_ids),
            "message": {
                "message_id": next(_message_ids),
                "date": int(time.time()),
                "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
                "from": user.as_dict(),
                **content,
            },
        }

    async def deliver(self, *payloads: dict) -> list[Call]:
        before = len(self.api.calls)
        await self.processor.receive(list(payloads))
        await self.processor.drain()
        return self.api.calls[before:]

    async def send(self, user: User, text: str) -> list[Call]:
        content = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.deliver(self._message(user, **content))

    async def reply_text(self, user: User, text: str) -> str:
        """Send text; return the text of the bot's replies to this user, joined."""
        calls = await self.send(user, text)
        return "\n".join(c.text for c in calls if c.chat_id == user.id and c.text)

    async def send_document(
        self, user: User, content: bytes, filename: str, mime: str = "text/csv", caption: str | None = None
    ) -> list[Call]:
        file_id = self.api.add_upload(content)
        document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": filename,
            "mime_type": mime,
            "file_size": len(content),
        }
        extra = {"caption": caption} if caption else {}
        return await self.deliver(self._message(user, document=document, **extra))

    async def send_photo(self, user: User, content: bytes, width: int = 1280, height: int = 960) -> list[Call]:
        file_id = self.api.add_upload(content)
        small = self.api.add_upload(b"thumbnail")
        photo = [
            {"file_id": small, "file_unique_id": small, "width": 90, "height": 67, "file_size": 9},
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": width,
                "height": height,
                "file_size": len(content),
            },
        ]
        return await self.deliver(self._message(user, photo=photo))

    async def press(self, user: User, callback_data: str, message_text: str = "") -> list[Call]:
        payload = {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": str(next(_message_ids)),
                "from": user.as_dict(),
                "chat_instance": "ci",
                "data": callback_data,
                "message": {
                    "message_id": next(_message_ids),
                    "date": int(time.time()),
                    "chat": {"id": user.id, "type": "private"},
                    "text": message_text or "…",
                },
            },
        }
        return await self.deliver(payload)

    # ---------------------------------------------------------------- database

    async def rows(self, sql: str, params: tuple = ()) -> list:
        return await self.db.read(lambda conn: [tuple(r) for r in conn.execute(sql, params)])

    async def execute(self, sql: str, params: tuple = ()) -> None:
        """Change the database directly, as an organiser's earlier action would have."""
        await self.db.write(lambda conn: conn.execute(sql, params))

    async def log(self) -> list[tuple]:
        """(attendee, session, direction, method, accepted, reason) of every log row, oldest first."""
        return await self.rows(
            "SELECT attendee_id, session_id, direction, method, accepted, reason FROM attendance_log ORDER BY id"
        )


def texts_to(calls: list[Call], user: User) -> list[str]:
    return [c.text for c in calls if c.chat_id == user.id and c.text]
