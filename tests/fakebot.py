"""A fake Telegram Bot API behind python-telegram-bot's `BaseRequest`.

The real `Application` and `Bot` talk to it exactly as they would to Telegram:
it answers the methods the bot uses, records every call (with uploaded files),
serves files users "uploaded" for `getFile` downloads, and can inject errors
(HTTP 429 with `retry_after`, 400) to test flood control and failures.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "attendance_test_bot"
TOKEN = f"{BOT_ID}:AAE_fake_token_for_tests_only_xxxxxxx"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return None if value is None else int(value)

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [
            (b.get("text"), b.get("callback_data") or b.get("url"))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def file(self) -> tuple[str, bytes]:
        name, content, _ = next(iter(self.files.values()))
        return name, content


class FakeBotAPI(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}  # file_id -> content (what users sent to the bot)
        self.errors: list[tuple[str, int, dict]] = []  # (method, status, body) to answer next
        self._message_ids = itertools.count(5000)
        self._file_ids = itertools.count(1)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    # ---------------------------------------------------------------- test helpers

    def add_upload(self, content: bytes) -> str:
        file_id = f"FILE{next(self._file_ids)}"
        self.uploads[file_id] = content
        return file_id

    def fail(self, method: str, status: int = 429, retry_after: int = 1, description: str = "") -> None:
        if status == 429:
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
        else:
            body = {"ok": False, "error_code": status, "description": description or "Bad Request: test error"}
        self.errors.append((method, status, body))

    def sent(self, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if method is None or c.method == method]

    # ---------------------------------------------------------------- BaseRequest

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=None,
        write_timeout=None,
        connect_timeout=None,
        pool_timeout=None,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:
            file_id = url.rsplit("/", 1)[1]
            if file_id not in self.uploads:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, self.uploads[file_id]
        api_method = url.rsplit("/", 1)[1]
        params = dict(request_data.parameters) if request_data else {}
        files = {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                filename, content, mime = part
                files[name] = (filename, content if isinstance(content, bytes) else content.read(), mime)
        for i, (err_method, status, body) in enumerate(self.errors):
            if err_method == api_method:
                del self.errors[i]
                return status, json.dumps(body).encode()
        self.calls.append(Call(api_method, params, files))
        result = self._answer(api_method, params, files)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, api_method: str, params: dict, files: dict) -> Any:
        if api_method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Attendance",
                "username": BOT_USERNAME,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if api_method == "getFile":
            file_id = params["file_id"]
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.uploads.get(file_id, b"")),
                "file_path": file_id,
            }
        if api_method in ("sendMessage", "sendDocument", "sendPhoto", "editMessageText"):
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": int(params.get("chat_id", 0)), "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Attendance"},
            }
            if "text" in params:
                message["text"] = params["text"]
            if api_method == "sendDocument":
                name = next(iter(files.values()))[0] if files else "file"
                message["document"] = {
                    "file_id": f"DOC{message['message_id']}",
                    "file_unique_id": "u",
                    "file_name": name,
                }
            if api_method == "sendPhoto":
                message["photo"] = [
                    {"file_id": f"PH{message['message_id']}", "file_unique_id": "u", "width": 1, "height": 1}
                ]
            return message
        if api_method == "getUpdates":
            return []
        return True
