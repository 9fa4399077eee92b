"""A small local HTTP emulator of the Telegram Bot API, for end-to-end tests and demos.

It serves the layout of Telegram's own `telegram-bot-api` server, so the bot
reaches it through `TELEGRAM_API_URL` exactly as it would reach a self-hosted
server:

* `GET|POST <root>/bot<token>/<method>` with a JSON, form-urlencoded or
  multipart/form-data body (python-telegram-bot sends multipart when it uploads
  a file), answered `{"ok": true, "result": ...}`;
* `GET <root>/file/bot<token>/<file_path>` for files users "sent" to the bot.

`getUpdates` follows Telegram's rules, because the bot's durability depends on
them: an update is confirmed, and dropped for good, once `getUpdates` is called
with an `offset` higher than its `update_id`; until then it is delivered again
on every call. `timeout` long-polls, and a newer `getUpdates` call ends a
waiting one with 409 Conflict, as Telegram does.

Only the standard library is used: `ThreadingHTTPServer` in a background
thread, `email` to parse multipart bodies. `python -m rehearsal.emulator --port 8081`
runs it as a process with a small control API for demos (see `serve`).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import math
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_TOKEN = "123456:AAE_e2e_token_xxxxxxxxxxxxxxxxxxxx"
BOT_USERNAME = "attendance_e2e_bot"
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "editMessageText"})
# Form fields whose values python-telegram-bot encodes as JSON text.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
_INT_FIELDS = frozenset({"chat_id", "offset", "limit", "message_id", "reply_to_message_id"})
_FLOAT_FIELDS = frozenset({"timeout"})


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def body(self) -> dict:
        body = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class Sent:
    """One message the bot sent (or edited): what the user would see."""

    method: str
    chat_id: int | None
    text: str
    message_id: int
    params: dict[str, Any]
    reply_markup: dict | None = None
    filename: str | None = None
    content: bytes | None = None
    at: float = field(default_factory=time.time)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("text"), b.get("callback_data") or b.get("url")) for row in rows for b in row]

    def as_json(self) -> dict:
        d = {
            "method": self.method,
            "chat_id": self.chat_id,
            "text": self.text,
            "message_id": self.message_id,
            "reply_markup": self.reply_markup,
            "filename": self.filename,
            "at": self.at,
        }
        if self.content is not None:
            d["content_base64"] = base64.b64encode(self.content).decode()
        return d


@dataclass
class Call:
    """Any API call the bot made (getUpdates excluded: it is counted in `get_updates_calls`)."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.time)


class BotApiEmulator:
    """An in-process HTTP Bot API server; thread-safe test helpers.

    `send_limit_per_s` caps send methods (sendMessage, sendDocument, sendPhoto,
    editMessageText) over any sliding second; calls beyond it are answered 429
    with `retry_after`, like Telegram's flood control, and counted in
    `too_many_requests`. `max_batch` caps how many updates one getUpdates
    returns (Telegram may return fewer than `limit`). Chats in `blocked` (`block()`)
    are people who blocked the bot: a send method to them is answered 403, counted
    per chat in `forbidden`. Every message is recorded in the order it was sent, so
    `sent_counts()` shows anyone who got one twice.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        send_limit_per_s: int | None = None,
        retry_after: int = 1,
        first_update_id: int = 700_000_001,
        max_batch: int = 100,
        bot_username: str = BOT_USERNAME,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.host, self.port = host, port
        self.send_limit_per_s = send_limit_per_s
        self.retry_after = retry_after
        self.max_batch = max_batch
        self.too_many_requests = 0
        self.blocked: set[int] = set()
        self.forbidden: Counter[int] = Counter()  # chat id -> send calls answered 403
        self.get_updates_calls = 0
        self.calls: list[Call] = []
        self._sent: list[Sent] = []
        self._queue: list[dict] = []  # unconfirmed updates, ascending update_id
        self._confirmed_offset = 0
        self._poll_generation = 0
        self._stopping = False
        self._cond = threading.Condition()
        self._send_times: deque[float] = deque()
        self._errors: list[tuple[str, ApiError]] = []
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self._bot_message_ids = itertools.count(100_000)
        self._file_ids = itertools.count(1)
        self._path_ids = itertools.count(1)
        self.deliveries: dict[int, int] = {}  # update_id -> how many getUpdates answers carried it
        # Test hooks, called outside the lock. `after_delivery(batch)`: a non-empty getUpdates
        # answer was just written to the bot. `on_confirm(updates)`: a getUpdates call has just
        # confirmed (dropped) these updates, before it is answered. `after_send(method, chat_id)`: a
        # message was just recorded as delivered, and the bot has not had the answer yet. A test
        # can kill the bot there.
        self.after_send: Callable[[str, int | None], None] | None = None
        self.after_delivery: Callable[[list[dict]], None] | None = None
        self.on_confirm: Callable[[list[dict]], None] | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> str:
        """Start serving; return the root URL to put in TELEGRAM_API_URL."""
        emulator = self

        class Handler(_Handler):
            pass

        Handler.emulator = emulator
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="bot-api-emulator", daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> BotApiEmulator:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- updates users send

    def push_update(self, update: dict) -> int:
        """Queue a raw update (an `update_id` is assigned if missing); return its id."""
        with self._cond:
            update = dict(update)
            update.setdefault("update_id", next(self._update_ids))
            self._queue.append(update)
            self._queue.sort(key=lambda u: u["update_id"])
            self._cond.notify_all()
            return update["update_id"]

    @staticmethod
    def _user(user_id: int, first_name: str | None, username: str | None, last_name: str | None = None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
        if username:
            user["username"] = username
        if last_name:
            user["last_name"] = last_name
        return user

    def _message(self, user_id: int, first_name: str | None, username: str | None, **content) -> dict:
        user = self._user(user_id, first_name, username)
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {
                "id": user_id,
                "type": "private",
                "first_name": user["first_name"],
                **({"username": username} if username else {}),
            },
            "from": user,
            **content,
        }

    def push_message(self, user_id: int, text: str, first_name: str | None = None, username: str | None = None) -> int:
        """A private text message; a leading /command gets its bot_command entity, as Telegram adds."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push_update({"message": self._message(user_id, first_name, username, **content)})

    def add_file(self, content: bytes, file_path: str) -> str:
        """Make `content` downloadable (getFile + file URL); return its file_id."""
        with self._cond:
            file_id = f"BQACAgIAAxk{next(self._file_ids):06d}"
            self._files[file_id] = (file_path, content)
            return file_id

    def push_document(
        self,
        user_id: int,
        content: bytes,
        filename: str,
        mime_type: str = "text/csv",
        caption: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> int:
        ext = filename.rsplit(".", 1)[1] if "." in filename else "bin"
        file_id = self.add_file(content, f"documents/file_{next(self._path_ids)}.{ext}")
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra = {"caption": caption} if caption else {}
        return self.push_update({"message": self._message(user_id, first_name, username, document=document, **extra)})

    def push_photo(
        self,
        user_id: int,
        content: bytes,
        width: int = 1280,
        height: int = 960,
        first_name: str | None = None,
        username: str | None = None,
    ) -> int:
        thumb = self.add_file(b"thumbnail", f"photos/file_{next(self._path_ids)}.jpg")
        big = self.add_file(content, f"photos/file_{next(self._path_ids)}.jpg")
        photo = [
            {"file_id": thumb, "file_unique_id": f"u{thumb}", "width": 90, "height": 67, "file_size": 9},
            {"file_id": big, "file_unique_id": f"u{big}", "width": width, "height": height, "file_size": len(content)},
        ]
        return self.push_update({"message": self._message(user_id, first_name, username, photo=photo)})

    def push_callback(
        self,
        user_id: int,
        data: str,
        message_text: str = "…",
        message_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> int:
        user = self._user(user_id, first_name, username)
        query = {
            "id": str(next(self._message_ids)),
            "from": user,
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": {
                "message_id": message_id or next(self._bot_message_ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
                "from": {"id": self.bot_id, "is_bot": True, "first_name": "Attendance"},
                "text": message_text,
            },
        }
        return self.push_update({"callback_query": query})

    # ---------------------------------------------------------------- what the bot did

    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Sent]:
        with self._cond:
            return [
                s
                for s in self._sent
                if (chat_id is None or s.chat_id == chat_id) and (method is None or s.method == method)
            ]

    def sent_counts(self, method: str | None = "sendMessage") -> Counter[int]:
        """How many messages (of `method`; None: any) each chat got."""
        return Counter(s.chat_id for s in self.sent(method=method))

    def block(self, *chat_ids: int) -> None:
        """These people blocked the bot: messages to them are answered 403 from now on."""
        with self._cond:
            self.blocked.update(chat_ids)

    def texts(self, chat_id: int) -> list[str]:
        return [s.text for s in self.sent(chat_id) if s.text]

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    @property
    def confirmed_offset(self) -> int:
        """The highest offset the bot has sent to getUpdates (0 before any)."""
        with self._cond:
            return self._confirmed_offset

    @property
    def pending(self) -> int:
        """Updates not confirmed yet."""
        with self._cond:
            return len(self._queue)

    def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 10.0,
        interval: float = 0.02,
        message: str | Callable[[], str] = "",
    ) -> Any:
        """Poll `predicate` until it returns something truthy, and return that; after `timeout`
        seconds raise TimeoutError with `message` (a callable is asked then, for fresh details)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                detail = message() if callable(message) else message
                raise TimeoutError(f"condition not met within {timeout} s. {detail}".strip())
            time.sleep(interval)

    def fail(self, method: str, status: int = 429, retry_after: int = 1, description: str = "") -> None:
        """Answer the next call of `method` with an error (429 with retry_after, or e.g. 400)."""
        if status == 429:
            error = ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        else:
            error = ApiError(status, description or "Bad Request: injected error")
        with self._cond:
            self._errors.append((method, error))

    # ---------------------------------------------------------------- the API

    def handle(self, method: str, params: dict, files: dict[str, tuple[str, bytes]]) -> Any:
        """Answer one Bot API call; raise ApiError for an error answer."""
        if method == "getUpdates":
            return self._get_updates(params)
        with self._cond:
            for i, (err_method, error) in enumerate(self._errors):
                if err_method == method:
                    del self._errors[i]
                    raise error
            if method in SEND_METHODS:
                self._check_flood()
                self._check_blocked(params.get("chat_id"))
            self.calls.append(Call(method, params))
            return self._answer(method, params, files)

    def _check_flood(self) -> None:
        if not self.send_limit_per_s:
            return
        now = time.monotonic()
        while self._send_times and now - self._send_times[0] >= 1.0:
            self._send_times.popleft()
        if len(self._send_times) >= self.send_limit_per_s:
            self.too_many_requests += 1
            wait = max(self.retry_after, math.ceil(1.0 - (now - self._send_times[0])))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        self._send_times.append(now)

    def _check_blocked(self, chat_id: Any) -> None:
        try:
            chat = int(chat_id)
        except (TypeError, ValueError):
            return
        if chat in self.blocked:
            self.forbidden[chat] += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _get_updates(self, params: dict) -> list[dict]:
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100, self.max_batch)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        confirmed: list[dict] = []
        with self._cond:
            self.get_updates_calls += 1
            if offset is not None:
                offset = int(offset)
                keep = self._queue[offset:] if offset < 0 else [u for u in self._queue if u["update_id"] >= offset]
                confirmed = self._queue[: len(self._queue) - len(keep)]
                self._queue = keep  # confirmed updates are gone for good
                if offset > 0:
                    self._confirmed_offset = max(self._confirmed_offset, offset)
        if confirmed and self.on_confirm is not None:
            self.on_confirm(confirmed)
        with self._cond:
            # A newer getUpdates ends any that is still waiting, as Telegram does.
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            deadline = time.monotonic() + timeout
            while not self._queue and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
            batch = [json.loads(json.dumps(u)) for u in self._queue[:limit]]
            for update in batch:
                self.deliveries[update["update_id"]] = self.deliveries.get(update["update_id"], 0) + 1
            return batch

    def _answer(self, method: str, params: dict, files: dict[str, tuple[str, bytes]]) -> Any:
        if method == "getMe":
            return {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Attendance",
                "username": self.bot_username,
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        if method == "getFile":
            file_id = str(params.get("file_id", ""))
            if file_id not in self._files:
                raise ApiError(400, "Bad Request: invalid file_id")
            path, content = self._files[file_id]
            return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content), "file_path": path}
        if method in SEND_METHODS:
            return self._record_message(method, params, files)
        if method in {
            "answerCallbackQuery",
            "sendChatAction",
            "setMyCommands",
            "deleteMyCommands",
            "deleteWebhook",
            "setWebhook",
            "close",
            "logOut",
        }:
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._queue)}
        raise ApiError(404, "Not Found: method not found")

    def _record_message(self, method: str, params: dict, files: dict[str, tuple[str, bytes]]) -> dict:
        if params.get("chat_id") is None and method != "editMessageText":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id = params.get("chat_id")
        chat_id = int(chat_id) if chat_id is not None else None
        text = params.get("text") or params.get("caption") or ""
        if method in ("sendMessage", "editMessageText") and not text:
            raise ApiError(400, "Bad Request: message text is empty")
        upload_field = {"sendDocument": "document", "sendPhoto": "photo"}.get(method)
        filename = content = None
        if upload_field:
            value = params.get(upload_field)
            if isinstance(value, str) and value.startswith("attach://"):
                value = files.get(value[len("attach://") :])
            elif upload_field in files:
                value = files[upload_field]
            if isinstance(value, tuple):
                filename, content = value
            elif value is None:
                raise ApiError(400, f"Bad Request: there is no {upload_field} in the request")
        message_id = (
            int(params["message_id"])
            if method == "editMessageText" and params.get("message_id")
            else next(self._bot_message_ids)
        )
        markup = params.get("reply_markup")
        self._sent.append(
            Sent(
                method,
                chat_id,
                text,
                message_id,
                params,
                markup if isinstance(markup, dict) else None,
                filename,
                content,
            )
        )
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id or 0, "type": "private"},
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "Attendance", "username": self.bot_username},
        }
        if method in ("sendMessage", "editMessageText"):
            message["text"] = text
        elif text:
            message["caption"] = text
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if method == "sendDocument":
            message["document"] = {
                "file_id": f"DOC{message_id}",
                "file_unique_id": f"uDOC{message_id}",
                "file_name": filename or "file",
                "file_size": len(content or b""),
            }
        if method == "sendPhoto":
            message["photo"] = [
                {
                    "file_id": f"PH{message_id}",
                    "file_unique_id": f"uPH{message_id}",
                    "width": 512,
                    "height": 512,
                    "file_size": len(content or b""),
                }
            ]
        return message

    def download(self, file_path: str) -> bytes | None:
        with self._cond:
            for path, content in self._files.values():
                if path == file_path:
                    return content
        return None

    # ---------------------------------------------------------------- control API (demo process)

    def control(self, verb: str, path: str, query: dict, body: dict) -> Any:
        """`POST /control/push` (a raw update), `/control/message` ({user_id, text, first_name?,
        username?}), `/control/document` ({user_id, filename, content_base64}), `/control/callback`
        ({user_id, data}), `/control/block` ({chat_ids}: they blocked the bot); `GET /control/sent[?chat_id=]`,
        `GET /control/state`."""
        if verb == "GET" and path == "sent":
            chat_id = int(query["chat_id"]) if query.get("chat_id") else None
            return [s.as_json() for s in self.sent(chat_id)]
        if verb == "GET" and path == "state":
            return {
                "confirmed_offset": self.confirmed_offset,
                "pending": self.pending,
                "sent": len(self.sent()),
                "too_many_requests": self.too_many_requests,
                "get_updates_calls": self.get_updates_calls,
            }
        if verb == "POST" and path == "block":
            self.block(*(int(c) for c in body["chat_ids"]))
            return {"blocked": len(self.blocked)}
        if verb == "POST" and path == "push":
            return {"update_id": self.push_update(body)}
        if verb == "POST" and path == "message":
            return {
                "update_id": self.push_message(
                    int(body["user_id"]), str(body["text"]), body.get("first_name"), body.get("username")
                )
            }
        if verb == "POST" and path == "document":
            return {
                "update_id": self.push_document(
                    int(body["user_id"]),
                    base64.b64decode(body["content_base64"]),
                    str(body["filename"]),
                    body.get("mime_type", "text/csv"),
                )
            }
        if verb == "POST" and path == "callback":
            return {"update_id": self.push_callback(int(body["user_id"]), str(body["data"]))}
        raise ApiError(404, "Not Found: unknown control endpoint")


def _form_value(name: str, value: str) -> Any:
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. chat_id "@channel"
    if name in _FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_body(content_type: str, body: bytes) -> tuple[dict, dict[str, tuple[str, bytes]]]:
    """Parameters and uploaded files ({field: (filename, bytes)}) of a Bot API request body."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}, {}
    if ctype == "application/json":
        params = json.loads(body.decode("utf-8"))
        return {k: _form_value(k, v) if isinstance(v, str) else v for k, v in params.items()}, {}
    if ctype == "application/x-www-form-urlencoded":
        return {k: _form_value(k, v) for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True)}, {}
    if ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = (filename, payload)
            else:
                params[name] = _form_value(name, payload.decode(part.get_content_charset() or "utf-8"))
        return params, files
    raise ApiError(400, f"Bad Request: unsupported content type {ctype!r}")


class _Handler(BaseHTTPRequestHandler):
    emulator: BotApiEmulator
    protocol_version = "HTTP/1.1"  # keep-alive, like Telegram; every answer has a Content-Length
    # Headers and body go out in two writes: with Nagle's algorithm the body
    # waits ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args) -> None:
        return None  # quiet: URLs hold the token

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (e.g. a killed bot's long poll)

    def _dispatch(self, verb: str) -> None:
        emulator = self.emulator
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            params, files = parse_body(self.headers.get("Content-Type", ""), raw)
            params = {**{k: _form_value(k, v) for k, v in parse_qsl(url.query)}, **params}
            parts = [unquote(p) for p in url.path.strip("/").split("/")]  # PTB quotes file paths
            if parts[0] == "control" and len(parts) == 2:
                result = emulator.control(verb, parts[1], dict(parse_qsl(url.query)), params)
                self._reply(200, json.dumps({"ok": True, "result": result}).encode())
                return
            if parts[0] == "file" and len(parts) >= 3 and parts[1].startswith("bot"):
                if parts[1][3:] != emulator.token:
                    raise ApiError(401, "Unauthorized")
                content = emulator.download("/".join(parts[2:]))
                if content is None:
                    raise ApiError(404, "Not Found")
                self._reply(200, content, "application/octet-stream")
                return
            if len(parts) != 2 or not parts[0].startswith("bot"):
                raise ApiError(404, "Not Found")
            if parts[0][3:] != emulator.token:
                raise ApiError(401, "Unauthorized")
            result = emulator.handle(parts[1], params, files)
            sent_hook = emulator.after_send
            if parts[1] in SEND_METHODS and sent_hook is not None:
                sent_hook(parts[1], params.get("chat_id"))
            self._reply(200, json.dumps({"ok": True, "result": result}).encode())
            hook = emulator.after_delivery
            if parts[1] == "getUpdates" and result and hook is not None:
                hook(result)
        except ApiError as error:
            self._reply(error.status, json.dumps(error.body()).encode())
        except Exception as exc:  # a malformed request must not kill the server thread
            self._reply(
                400,
                json.dumps(
                    {"ok": False, "error_code": 400, "description": f"Bad Request: {type(exc).__name__}: {exc}"}
                ).encode(),
            )


def serve(
    port: int = 8081, token: str = DEFAULT_TOKEN, host: str = "127.0.0.1", send_limit_per_s: int | None = None
) -> None:
    """Run the emulator in the foreground until SIGINT or SIGTERM. Point the bot at it with
    TELEGRAM_API_URL=http://<host>:<port> and BOT_TOKEN=<token>; drive it with e.g.
    `curl -d '{"user_id": 42, "text": "/start"}' -H 'Content-Type: application/json'
    http://127.0.0.1:8081/control/message` and `curl http://127.0.0.1:8081/control/sent`."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    emulator = BotApiEmulator(token, host=host, port=port, send_limit_per_s=send_limit_per_s)
    try:
        url = emulator.start()
        print(f"Bot API emulator on {url} (token {token})", flush=True)
        stop.wait()
    finally:
        emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API emulator for tests and demos.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--send-limit-per-s", type=int, default=None)
    args = parser.parse_args()
    serve(args.port, args.token, args.host, args.send_limit_per_s)


if __name__ == "__main__":
    main()
