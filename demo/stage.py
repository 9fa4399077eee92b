"""The stage of the rehearsal: a local Bot API emulator, the real bot as a
process, people who talk to it one message at a time, and a transcript.

Nothing here knows how the bot works inside. People send what a Telegram
client would send (text, a command, a document, a photo, a button press) and
each step waits for the bot's answer in that person's chat, exactly as
someone holding a phone would.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rehearsal import bot_process
from rehearsal.bot_process import BotProcess
from rehearsal.emulator import BotApiEmulator, Sent

TOKEN = "123456:AAE_demo_token_xxxxxxxxxxxxxxxxxxxx"  # the shape of a BotFather token; never a real one
BOT_USERNAME = "opendatadays_bot"
EVENT_TIMEZONE = "Europe/Paris"
EVENT_NAME = "Open Data Days 2026"
PUBLIC_URL = "https://opendatadays.example.org"


class DemoError(Exception):
    """A step of the rehearsal did not go as scripted; the message says which and why."""


@dataclass(frozen=True)
class Person:
    """Someone in the rehearsal, with the Telegram profile their messages carry."""

    user_id: int
    name: str
    role: str
    first_name: str
    username: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})"


class Transcript:
    """What was said, line by line: echoed to the terminal and kept for transcript.txt."""

    def __init__(self, echo: bool) -> None:
        self.lines: list[str] = []
        self.echo = echo

    def write(self, text: str = "") -> None:
        for line in text.split("\n"):
            self.lines.append(line)
            if self.echo:
                print(line, flush=True)

    def save(self, path: Path) -> None:
        path.write_text("\n".join(self.lines) + "\n", "utf-8")


def bot_environment(api_url: str, admin_id: int, database_path: Path, web_port: int) -> dict[str, str]:
    """The bot's whole environment: every setting explicit, the event in Paris time, the web
    server on 127.0.0.1 (PUBLIC_URL is where a real proxy would be; the browser is pointed here)."""
    return bot_process.bot_environment(
        BOT_TOKEN=TOKEN,
        ADMIN_IDS=str(admin_id),
        DATABASE_PATH=str(database_path),
        TELEGRAM_API_URL=api_url,
        EVENT_TIMEZONE=EVENT_TIMEZONE,
        EVENT_NAME=EVENT_NAME,
        PUBLIC_URL=PUBLIC_URL,
        WEB_LISTEN="127.0.0.1",
        WEB_PORT=str(web_port),
        OPEN_REGISTRATION="true",
        QR_DECODER="zxing",
        RATE_LIMIT="true",
        PIN_ATTEMPT_LIMIT="5",
        PIN_ATTEMPT_WINDOW_MINUTES="10",
    )


def human_size(size: int) -> str:
    return f"{size} bytes" if size < 1000 else f"{size / 1000:.1f} kB"


class Stage:
    """People talk to the bot through the emulator; every step waits for the bot's answer."""

    def __init__(
        self,
        api: BotApiEmulator,
        bot: BotProcess,
        transcript: Transcript,
        output_dir: Path,
        step_timeout: float = 20.0,
        web_root: str = "",
    ) -> None:
        self.api, self.bot, self.transcript = api, bot, transcript
        self.web_root = web_root  # the bot's web server, as this machine reaches it
        self.output_dir = output_dir
        self.step_timeout = step_timeout
        self.steps = 0
        self.saved: dict[str, Path] = {}

    # ---------------------------------------------------------------- narration

    def scene(self, title: str) -> None:
        """A heading, with the time the scene begins by the clock the bot records check-ins with (the
        event's wall clock), so it agrees with the times in the bot's answers."""
        title = f"{datetime.now(ZoneInfo(EVENT_TIMEZONE)):%H:%M} · {title}"
        self.transcript.write()
        self.transcript.write(f"── {title} " + "─" * max(3, 76 - len(title)))

    def narrate(self, text: str) -> None:
        self.transcript.write(textwrap.fill(text, width=96, initial_indent="» ", subsequent_indent="  "))

    # ---------------------------------------------------------------- what people do

    def say(
        self,
        who: Person,
        text: str,
        *,
        expect: str | tuple[str, ...] = (),
        kind: str = "message",
        timeout: float | None = None,
    ) -> Sent:
        """`who` sends a text message or a command; the bot's answer."""
        return self._exchange(
            who,
            text,
            lambda: self.api.push_message(who.user_id, text, first_name=who.first_name, username=who.username),
            expect,
            kind,
            timeout,
        )

    def follow_up(self, who: Person, after: Sent, method: str) -> Sent:
        """The bot's next message to `who` after `after` (a command that answers twice)."""
        sent = self.api.sent(chat_id=who.user_id)
        before = next(i for i, s in enumerate(sent) if s is after) + 1
        step = f"Step {self.steps} (the second answer to {who.label})"
        reply = self._await_reply(who, before, self.step_timeout, step)
        self._show(reply)
        if reply.method != method:
            raise DemoError(f"{step}: expected {method}, but the bot sent {reply.method}:\n{reply.text}")
        return reply

    def upload(
        self,
        who: Person,
        path: Path,
        *,
        expect: str | tuple[str, ...] = (),
        mime_type: str = "text/csv",
        timeout: float | None = None,
    ) -> Sent:
        """`who` sends a file as a document."""
        content = path.read_bytes()
        return self._exchange(
            who,
            f"📎 {path.name} ({human_size(len(content))})",
            lambda: self.api.push_document(
                who.user_id, content, path.name, mime_type, first_name=who.first_name, username=who.username
            ),
            expect,
            "message",
            timeout,
        )

    def photo(
        self,
        who: Person,
        jpeg: bytes,
        description: str,
        *,
        expect: str | tuple[str, ...] = (),
        timeout: float | None = None,
    ) -> Sent:
        """`who` sends a camera photo (Telegram delivers it as a compressed JPEG)."""
        return self._exchange(
            who,
            f"📷 {description} ({human_size(len(jpeg))} JPEG)",
            lambda: self.api.push_photo(who.user_id, jpeg, first_name=who.first_name, username=who.username),
            expect,
            "message",
            timeout,
        )

    def press(
        self,
        who: Person,
        message: Sent,
        button: str,
        *,
        expect: str | tuple[str, ...] = (),
        timeout: float | None = None,
    ) -> Sent:
        """`who` taps the inline button labelled `button` under one of the bot's messages."""
        data = dict(message.buttons).get(button)
        if data is None:
            raise DemoError(
                f"step {self.steps + 1}: {who.label} wanted to tap [{button}], but the bot's message "
                f"has the buttons {[text for text, _ in message.buttons]}:\n{message.text}"
            )
        return self._exchange(
            who,
            f"taps [{button}]",
            lambda: self.api.push_callback(
                who.user_id,
                data,
                message_text=message.text,
                message_id=message.message_id,
                first_name=who.first_name,
                username=who.username,
            ),
            expect,
            "message",
            timeout,
        )

    def save(self, sent: Sent, key: str, subdir: str | None = None, name: str | None = None) -> Path:
        """Keep a file the bot sent, under the name the bot gave it (photos have none: give `name`)."""
        if sent.content is None:
            raise DemoError(f"expected a file from the bot, got a message: {sent.text}")
        folder = self.output_dir / subdir if subdir else self.output_dir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(name or sent.filename or key).name
        path.write_bytes(sent.content)
        self.saved[key] = path
        self.transcript.write(f"          saved as {self._shown(path)}")
        return path

    def keep(self, content: bytes, name: str, key: str, subdir: str = "photos") -> Path:
        """Keep something a person made (a photo they took) next to the bot's files."""
        folder = self.output_dir / subdir
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(content)
        self.saved[key] = path
        return path

    def count_received(self, *people: Person) -> dict[int, int]:
        """How many messages the bot has sent each of `people` so far (to see what arrives later)."""
        return {p.user_id: len(self.api.sent(chat_id=p.user_id)) for p in people}

    def received(self, who: Person, before: dict[int, int], wait: float = 0.0) -> list[Sent]:
        """What the bot sent `who` since `before`, waiting up to `wait` seconds for a first message;
        shown in the transcript as arriving on their phone."""
        deadline = time.monotonic() + wait
        while True:
            new = self.api.sent(chat_id=who.user_id)[before[who.user_id] :]
            if new or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if not new:
            self.transcript.write(f"{who.label} ◂ (nothing)")
        for sent in new:
            self.transcript.write(f"{who.label} ◂")
            self._show(sent)
        return new

    # ---------------------------------------------------------------- the exchange

    def _exchange(
        self,
        who: Person,
        shown: str,
        push: Callable[[], int],
        expect: str | tuple[str, ...],
        kind: str,
        timeout: float | None,
    ) -> Sent:
        self.steps += 1
        step = f"Step {self.steps} ({who.label}: {shown.splitlines()[0][:60]})"
        self.transcript.write(f"{who.label} ▸ {shown}")
        before = len(self.api.sent(chat_id=who.user_id))
        push()
        reply = self._await_reply(who, before, timeout or self.step_timeout, step)
        self._show(reply)
        if kind == "document" and reply.method != "sendDocument":
            raise DemoError(f"{step}: expected a file from the bot, but it answered:\n{reply.text}")
        wanted = (expect,) if isinstance(expect, str) else expect
        missing = [w for w in wanted if w.lower() not in reply.text.lower()]
        if missing:
            raise DemoError(
                f"{step}: expected an answer mentioning {' and '.join(map(repr, missing))}, "
                f"but the bot answered:\n{reply.text}"
            )
        return reply

    def _await_reply(self, who: Person, before: int, timeout: float, step: str) -> Sent:
        deadline = time.monotonic() + timeout
        while True:
            new = self.api.sent(chat_id=who.user_id)[before:]
            if new:
                return new[0]
            code = self.bot.exit_code
            if code is not None:
                raise DemoError(f"{step}: the bot process exited with code {code} before answering")
            if time.monotonic() >= deadline:
                raise DemoError(f"{step}: the bot did not answer within {timeout:.0f} s")
            time.sleep(0.01)

    def _show(self, sent: Sent) -> None:
        if sent.method == "sendDocument":
            body = f"📎 {sent.filename} ({human_size(len(sent.content or b''))})"
            if sent.text:
                body += f"\n{sent.text}"
        elif sent.method == "sendPhoto":
            body = f"🖼 an image ({human_size(len(sent.content or b''))} PNG)"
            if sent.text:
                body += f"\n{sent.text}"
        elif sent.method == "editMessageText":
            body = f"(changes its message to:)\n{sent.text}"
        else:
            body = sent.text
        if sent.buttons:
            body += "\n" + " ".join(f"[{text}]" for text, _ in sent.buttons)
        lines = body.split("\n")
        self.transcript.write("    bot ▸ " + lines[0])
        for line in lines[1:]:
            self.transcript.write("          " + line)

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
