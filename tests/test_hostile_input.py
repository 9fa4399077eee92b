"""Hostile input (docs/product.md §7): any text, photo, file, sticker, button or command from
anyone gets a clear answer or is ignored: never a crash, never internals in the chat,
never a half-written or illegitimate record.

The property test builds a fresh bot per example (the sample event, a door scanner,
a shortlink) and sends it a random mix of updates from the organiser, the scanner,
known attendees and strangers, in private chats and in groups. Afterwards it checks
what the bot said and that every attendance_log row is one these inputs could
legitimately produce.

Inputs that once broke the bot are pinned by their own tests at the end of this file.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import struct
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import chat_texts
from bot.domain import badges, pins
from bot.domain.rules import Reason
from bot.telegram.application import ADMIN_HANDLERS
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.harness import ADMIN, BotHarness

SECRET = "hostile-input-test-secret-0123456789"
BOT_USERNAME = "attendance_test_bot"
DOOR_ID, ADA_ID, CLEO_ID, BOB_ID = 700, 501, 333, 502
INITIAL_PINS = {"KEY1IN", "KEY1OUT", "RUST2IN", "RUST2OUT"}
INITIAL_SHORTLINKS = {"SL001"}
MESSAGE_LIMIT, CAPTION_LIMIT, CALLBACK_ANSWER_LIMIT = 4096, 1024, 200
REPLY_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText"}
ALLOWED_REASONS = {r.value for r in Reason} | {"undo"}

# ---------------------------------------------------------------- fixed files


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares gigapixels but holds almost no data (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@cache
def fixed_files() -> dict[str, bytes]:
    from PIL import Image

    from tests.images import badge_photo

    noise = io.BytesIO()
    Image.effect_noise((320, 240), 80).convert("RGB").save(noise, "JPEG", quality=40)
    tiny = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(tiny, "PNG")
    return {
        # 20 MB of zeros in ~20 KB: a zip bomb dressed as a spreadsheet
        "zip_bomb": _zip({"[trash]/0000.dat": b"\0" * 20_000_000}),
        "png_bomb": _png_header_only(60_000, 60_000),
        "noise_jpeg": noise.getvalue(),
        "tiny_png": tiny.getvalue(),
        # the only genuine badge photo in the mix: REG-2, version 1
        "badge_reg2": badge_photo(badges.make_token(SECRET, "REG-2", 1), seed=4, size=640),
        "sessions_csv": SESSIONS_CSV.replace("Opening keynote", "=cmd|' /C calc'!A0").encode(),
        "attendees_csv": (ATTENDEES_CSV + "REG-9,\u202eevil\u202c =1+1,x@example.org,,@nobody\n").encode(),
        "bad_rows_csv": b"attendee_id,session_id\nREG-404,S1\nREG-1,S404\n",
    }


# ---------------------------------------------------------------- strategies

# Superscript and other non-decimal "digits" pass str.isdigit() but not int():
# they once crashed the button handlers, so the random mix includes them.
NON_DECIMAL_DIGITS = "".join(c for c in map(chr, range(0x110000)) if c.isdigit() and not c.isdecimal())


SESSION_ARGS = ["S1", "s1", "S2", "S3", "S404", "s2 ", ""]
WORDS = [
    "all",
    "new",
    "off",
    "on",
    "none",
    "include",
    "exclude",
    "checkins",
    "checkouts",
    "csv",
    "xlsx",
    "@ada_l",
    "@dora_door",
    "@olga_org",
    "@nobody",
    "501",
    "700",
    "111",
    "-1",
    "0",
    "3",
    "99999999999999999999",
    "REG-1",
    "reg-2",
    "REG-3",
    "TG-501",
    "SL001",
    "SL77",
    "sl002",
    "AB12",
    "ZZZZ9",
    "KEY1IN",
    "RUST2OUT",
    "{BADGE:REG-1}",
    "{INVITE:REG-2}",
    "Ada",
    "Lovelace",
    "=1+1",
    "'; DROP TABLE pins; --",
]
NASTY = [
    "",
    " ",
    "\n",
    "\u202eNI1YEK",
    "مرحبا بالعالم",
    "שלום",
    "KEY\u200b1IN",
    "\x00\x01\x02\x1b[31m",
    "\t\r\n",
    "🎉✅🟢🔴" * 3,
    "ｋｅｙ１ｉｎ",
    "%s%n{0}{}",
    "<b>bold</b>",
    "*_`[x](y)",
    "\ufeffKEY1IN",
    "\U0001f600" * 40,
    "B1:REG-1:1:AAAAAAAAAAAAAAAA",
    "B1:REG-1:2:{SIG:REG-1:1}",
    "b1:reg-1:1:",
    "B1:" + "A" * 40,
    "https://t.me/attendance_test_bot?start=SL001",
    "KEY1IN KEY1OUT",
    "key1in\n",
    "  rust2in  ",
]
PLAIN_TEXTS = [
    "KEY1IN",
    "key1out",
    " Rust2In ",
    "RUST2OUT",
    "REG-1",
    "reg-2",
    "TG-501",
    "{BADGE:REG-1}",
    "{BADGE:REG-2}",
    "{BADGE:REG-3}",
    "{FORGED:REG-1}",
    "AB12",
    "ZZZZ9",
    "SL001",
]
DOOR_CODES = [
    "{BADGE:REG-1}",
    "{BADGE:REG-2}",
    "{BADGE:REG-3}",
    "REG-1",
    "reg-3",
    "TG-501",
    "{FORGED:REG-2}",
    "/scan S1",
    "/scan S2",
    "/scan S3",
    "/scan off",
]
DOOR_BUTTONS = [
    "{OVR_DOOR_RED}",
    "{OVR_DOOR_RED}",
    "{OVR_LAST}",
    "{UNDO_LAST}",
    "ovr:{LOG:-1}",
    "undo:{LOG:-1}",
    "undo:{LOG:-2}",
    "scan:S2",
    "scan:S1",
]
COMMAND_NAMES = [
    *sorted(ADMIN_HANDLERS),
    *("scan", "badge", "start", "help", "myattendance", "foo", "Start", f"start@{BOT_USERNAME}"),
    *("pins@other_bot", "SCAN"),
]
CALLBACKS = [
    "ovr:999999",
    "undo:abc",
    "scan:S404",
    "scan:S1",
    "scan:s2",
    "scan:S3",
    "confirm:xyz:yes",
    "confirm::",
    "confirm",
    "ovr:",
    "undo:",
    "ovr:-1",
    "undo:0",
    "ovr:1e3",
    "undo: 1",
    "ovr:99999999999999999999",
    "scan:" + "S" * 300,
    "x" * 300,
    "",
    "{OVR_LAST}",
    "{UNDO_LAST}",
    "ovr:{LOG:-2}",
    "undo:{LOG:-1}",
]
MIMES = [
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/jpeg",
    "image/png",
    "application/zip",
    "application/octet-stream",
    "",
    "image/",
    "text/plain; charset=utf-8",
    "image/svg+xml",
]
FILE_NAMES = [
    "sessions.csv",
    "attendees.xlsx",
    "registrations.CSV",
    "bomb.xlsx",
    "photo.jpg",
    "",
    ".xlsx",
    "../../etc/passwd",
    "имя.csv",
    "a" * 255 + ".csv",
    "x.xlsm",
    "badge.png",
    "\u202egpj.exe",
]

long_text = st.builds(lambda unit, n: (unit * n)[:5000], st.text(min_size=1, max_size=12), st.integers(100, 5000))
short_text = st.text(max_size=40)
pin_like = st.from_regex(r"[A-Za-z0-9]{4,16}", fullmatch=True)
plain_text = st.sampled_from(PLAIN_TEXTS)
start_payload = st.one_of(
    st.sampled_from(["SL001", "SL999", "sl001", "SL", "SL" + "9" * 80, "{INVITE:REG-2}", "{INVITE:REG-1}"]),
    short_text,
    st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
)
text_content = st.one_of(
    short_text,
    long_text,
    st.sampled_from(NASTY),
    plain_text,
    plain_text,
    plain_text,
    pin_like,
    st.builds(lambda a: "/start " + a, start_payload),
)
arg = st.one_of(
    st.sampled_from(SESSION_ARGS + WORDS),
    pin_like,
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=30),
)
command_text = st.builds(
    lambda name, args, tail: ("/" + name + " " + " ".join(args) + tail).rstrip(),
    st.sampled_from(COMMAND_NAMES),
    st.lists(arg, max_size=4),
    st.sampled_from(["", "", "", " " + "x" * 3000, " \u202eevil", " 🎉"]),
)
callback_data = st.one_of(
    st.sampled_from(CALLBACKS),
    st.builds(lambda k, n: f"{k}:{n}", st.sampled_from(["ovr", "undo"]), st.integers(-5, 60)),
    st.builds(lambda k, s: f"{k}:{s}", st.sampled_from(["ovr", "undo", "scan", "confirm"]), short_text),
    st.text(max_size=300),
    st.builds(lambda k, d: f"{k}:{d}", st.sampled_from(["ovr", "undo"]), st.sampled_from(NON_DECIMAL_DIGITS)),
)


@st.composite
def document(draw):
    kind = draw(
        st.sampled_from(
            [
                "random",
                "fake_xlsx",
                "zip_bomb",
                "png_bomb",
                "noise_jpeg",
                "badge_reg2",
                "sessions_csv",
                "attendees_csv",
                "bad_rows_csv",
                "text",
            ]
        )
    )
    if kind == "random":
        content = draw(st.binary(max_size=3000))
    elif kind == "fake_xlsx":
        content = b"PK\x03\x04" + draw(st.binary(max_size=2000))
    elif kind == "text":
        content = draw(short_text | long_text).encode("utf-8", "surrogatepass")
    else:
        content = fixed_files()[kind]
    name = draw(st.sampled_from(FILE_NAMES) | short_text)
    mime = draw(st.sampled_from(MIMES) | short_text)
    return {"kind": kind, "content": content, "name": name, "mime": mime}


@st.composite
def photo(draw):
    kind = draw(st.sampled_from(["random", "noise_jpeg", "tiny_png", "png_bomb", "badge_reg2", "zip_bomb"]))
    content = draw(st.binary(max_size=3000)) if kind == "random" else fixed_files()[kind]
    return {"kind": kind, "content": content}


known_sender = st.sampled_from(["organiser", "door", "door", "ada", "ada", "cleo", "bob"])
SENDERS = st.one_of(known_sender, known_sender, known_sender, st.integers(10**6, 2**40))
sender_name = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=64)


@st.composite
def hostile_update(draw):
    kind = draw(
        st.sampled_from(
            [
                "text",
                "text",
                "command",
                "command",
                "sticker",
                "voice",
                "location",
                "contact",
                "document",
                "photo",
                "edited",
                "callback",
                "callback",
                "door_code",
                "door_code",
                "door_button",
                "attendee_pin",
                "attendee_pin",
            ]
        )
    )
    spec = {
        "kind": kind,
        "sender": draw(SENDERS),
        "name": draw(sender_name),
        "chat": draw(st.sampled_from(["private"] * 6 + ["group", "supergroup"])),
    }
    # Legitimate traffic mixed in, so that accepted rows, overrides and undos exist to be checked.
    if kind == "door_code":
        spec.update(kind="text", sender="door", chat="private", text=draw(st.sampled_from(DOOR_CODES)))
    elif kind == "attendee_pin":
        spec.update(
            kind="text",
            sender=draw(st.sampled_from(["ada", "cleo", "bob"])),
            chat="private",
            text=draw(st.sampled_from(["KEY1IN", "key1out", "RUST2IN", "rust2out", "/start SL001"])),
        )
    elif kind == "door_button":
        spec.update(kind="callback", sender="door", chat="private", data=draw(st.sampled_from(DOOR_BUTTONS)))
    elif kind == "callback":
        spec["chat"] = "private"
        spec["data"] = draw(callback_data)
    elif kind in ("text", "edited"):
        spec["text"] = draw(text_content | command_text)
    elif kind == "command":
        spec["text"] = draw(command_text)
    elif kind == "document":
        spec["document"] = draw(document())
        spec["caption"] = draw(st.none() | short_text)
    elif kind == "photo":
        spec["photo"] = draw(photo())
    return spec


# ---------------------------------------------------------------- running one example

KNOWN_USERS = {
    "organiser": (ADMIN, "Olga", "olga_org"),
    "door": (DOOR_ID, "Dora", "dora_door"),
    "ada": (ADA_ID, "Ada", "ada_l"),
    "cleo": (CLEO_ID, "Cleo", None),
    "bob": (BOB_ID, "Bob", "bob_b"),
}


def sender_dict(spec: dict) -> dict:
    if isinstance(spec["sender"], str):
        user_id, first_name, username = KNOWN_USERS[spec["sender"]]
    else:
        user_id, first_name, username = spec["sender"], spec["name"], None
    d = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        d["username"] = username
    return d


@dataclass
class Sent:
    payload: dict
    spec: dict
    text: str = ""

    @property
    def user_id(self) -> int:
        kind = next(k for k in ("message", "edited_message", "callback_query") if k in self.payload)
        return self.payload[kind]["from"]["id"]

    @property
    def private(self) -> bool:
        return self.spec["chat"] == "private"


_ids = iter(range(10**9, 2 * 10**9))


async def substitute(h: BotHarness, text: str) -> str:
    """Fill in placeholders with real values of this bot: badge codes, invite tokens, log ids."""
    if "{" not in text:
        return text
    for attendee_id in re.findall(r"\{BADGE:([A-Z0-9-]+)\}", text):
        text = text.replace(f"{{BADGE:{attendee_id}}}", badges.make_token(SECRET, attendee_id, 1))
    for attendee_id in re.findall(r"\{FORGED:([A-Z0-9-]+)\}", text):
        forged = badges.make_token(SECRET + "x", attendee_id, 1)
        text = text.replace(f"{{FORGED:{attendee_id}}}", forged)
    for attendee_id in re.findall(r"\{SIG:([A-Z0-9-]+):1\}", text):
        text = text.replace(f"{{SIG:{attendee_id}:1}}", badges.make_token(SECRET, attendee_id, 1).rsplit(":", 1)[1])
    for attendee_id in re.findall(r"\{INVITE:([A-Z0-9-]+)\}", text):
        rows = await h.rows("SELECT invite_token FROM attendees WHERE attendee_id = ?", (attendee_id,))
        text = text.replace(f"{{INVITE:{attendee_id}}}", rows[0][0] if rows else "nope")
    if "{OVR_DOOR_RED}" in text:  # the door scanner's own latest RED: "Admit anyway" may admit it
        red = await h.rows(
            "SELECT COALESCE(MAX(id), 0) FROM attendance_log WHERE scanner_user_id = ? "
            "AND reason IN ('not_registered', 'session_full')",
            (DOOR_ID,),
        )
        text = text.replace("{OVR_DOOR_RED}", f"ovr:{red[0][0]}")
    if "{OVR_LAST}" in text or "{UNDO_LAST}" in text or "{LOG:" in text:
        last = (await h.rows("SELECT COALESCE(MAX(id), 0) FROM attendance_log"))[0][0]
        text = text.replace("{OVR_LAST}", f"ovr:{last}").replace("{UNDO_LAST}", f"undo:{last}")
        text = re.sub(r"\{LOG:(-?\d+)\}", lambda m: str(last + int(m.group(1))), text)
    return text


def bot_command_entities(text: str) -> list[dict]:
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(match.group(0).encode("utf-16-le")) // 2}]


async def build_payload(h: BotHarness, spec: dict) -> Sent:
    user = sender_dict(spec)
    if spec["chat"] == "private":
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    else:
        chat = {"id": -1_000_000_000_000 - (user["id"] % 1000), "type": spec["chat"], "title": "Hallway chat"}
    message = {"message_id": next(_ids), "date": int(time.time()), "chat": chat, "from": user}
    kind = spec["kind"]
    text = ""
    if kind == "callback":
        data = await substitute(h, spec["data"])
        payload = {
            "update_id": next(_ids),
            "callback_query": {
                "id": str(next(_ids)),
                "from": user,
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": next(_ids),
                    "date": int(time.time()),
                    "chat": {"id": user["id"], "type": "private"},
                    "text": "…",
                },
            },
        }
        return Sent(payload, spec, data)
    if kind in ("text", "command", "edited"):
        text = await substitute(h, spec["text"])
        message["text"] = text
        entities = bot_command_entities(text)
        if entities:
            message["entities"] = entities
    elif kind == "sticker":
        message["sticker"] = {
            "file_id": "STK",
            "file_unique_id": "stk",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🤡",
        }
    elif kind == "voice":
        message["voice"] = {"file_id": "VOI", "file_unique_id": "voi", "duration": 3, "mime_type": "audio/ogg"}
    elif kind == "location":
        message["location"] = {"latitude": 48.8566, "longitude": 2.3522}
    elif kind == "contact":
        message["contact"] = {"phone_number": "+33123456789", "first_name": "Eve", "user_id": 42}
    elif kind == "document":
        doc = spec["document"]
        file_id = h.api.add_upload(doc["content"])
        message["document"] = {"file_id": file_id, "file_unique_id": file_id, "file_size": len(doc["content"])}
        if doc["name"]:
            message["document"]["file_name"] = doc["name"]
        if doc["mime"]:
            message["document"]["mime_type"] = doc["mime"]
        if spec.get("caption"):
            message["caption"] = spec["caption"]
    elif kind == "photo":
        content = spec["photo"]["content"]
        small, large = h.api.add_upload(b"thumbnail"), h.api.add_upload(content)
        message["photo"] = [
            {"file_id": small, "file_unique_id": small, "width": 90, "height": 67, "file_size": 9},
            {"file_id": large, "file_unique_id": large, "width": 1280, "height": 960, "file_size": len(content)},
        ]
    if kind == "edited":
        message["edit_date"] = int(time.time())
        return Sent({"update_id": next(_ids), "edited_message": message}, spec, text)
    return Sent({"update_id": next(_ids), "message": message}, spec, text)


async def setup_event(tmp: Path) -> BotHarness:
    h = await BotHarness(tmp, BADGE_SECRET=SECRET).start()
    organiser = {"id": ADMIN, "first_name": "Olga", "username": "olga_org"}
    for name, content in (
        ("sessions.csv", SESSIONS_CSV),
        ("attendees.csv", ATTENDEES_CSV),
        ("registrations.csv", REGISTRATIONS_CSV),
    ):
        file_id = h.api.add_upload(content.encode())
        await h.deliver(
            await _plain(
                h,
                organiser,
                document={"file_id": file_id, "file_unique_id": file_id, "file_name": name, "mime_type": "text/csv"},
            )
        )
    door = {"id": DOOR_ID, "first_name": "Dora", "username": "dora_door"}
    for who, text in (
        (door, "/start"),
        (organiser, "/scanner @dora_door S1 S2"),
        (door, "/scan S1"),
        (organiser, "/shortlink SL001 S1 Welcome!"),
    ):
        await h.deliver(await _plain(h, who, text=text, entities=bot_command_entities(text)))
    assert await h.rows("SELECT current_session_id FROM scanners WHERE user_id = ?", (DOOR_ID,)) == [("S1",)]
    assert await h.rows("SELECT code FROM shortlinks") == [("SL001",)]
    return h


async def _plain(h: BotHarness, user: dict, **content) -> dict:
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
            "from": {"is_bot": False, **user},
            **content,
        },
    }


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def run_example(batches: list[list[dict]]) -> None:
    errors = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(errors)
    with tempfile.TemporaryDirectory() as tmp:
        h = await setup_event(Path(tmp))
        try:
            first_call = len(h.api.calls)
            sent: list[Sent] = []
            for batch in batches:
                built = [await build_payload(h, spec) for spec in batch]
                sent += built
                await h.processor.receive([s.payload for s in built])
                await h.processor.drain()
            await check_invariants(h, sent, h.api.calls[first_call:], errors.records)
        finally:
            root.removeHandler(errors)
            await h.stop()


# ---------------------------------------------------------------- what must hold afterwards


def _describe(record: logging.LogRecord) -> str:
    return f"{record.name}: {record.getMessage()} {record.exc_info[1]!r}" if record.exc_info else record.getMessage()


async def check_invariants(h: BotHarness, sent: list[Sent], calls: list, error_records: list) -> None:
    # 1. No handler exception reached the error handler, and nothing else logged an error.
    assert not error_records, [_describe(r) for r in error_records]
    # 2. Every update was finished (nothing stuck in the inbox).
    assert await h.rows("SELECT COUNT(*) FROM updates WHERE done_at IS NULL") == [(0,)]

    # 3. What the bot said: never to a group, never internals, always within Telegram's limits.
    group_chats = {s.payload["message"]["chat"]["id"] for s in sent if not s.private and "message" in s.payload} | {
        s.payload["edited_message"]["chat"]["id"] for s in sent if not s.private and "edited_message" in s.payload
    }
    for call in calls:
        assert call.chat_id not in group_chats, f"replied in a group: {call.method} {call.text[:80]!r}"
        said = call.text
        assert "Traceback" not in said and "Error:" not in said and 'File "' not in said, said[:300]
        assert said != chat_texts.INTERNAL_ERROR, "the error handler answered someone"
        if call.method in ("sendMessage", "editMessageText"):
            assert 0 < len(said) <= MESSAGE_LIMIT, (len(said), said[:200])
        if call.method in ("sendPhoto", "sendDocument") and call.params.get("caption"):
            assert len(call.params["caption"]) <= CAPTION_LIMIT
        if call.method == "answerCallbackQuery" and call.params.get("text"):
            assert len(call.params["text"]) <= CALLBACK_ANSWER_LIMIT

    # 4. Every private message got an answer, and only a few.
    replies: dict[int, int] = {}
    for call in calls:
        if call.method in REPLY_METHODS and call.chat_id is not None:
            replies[call.chat_id] = replies.get(call.chat_id, 0) + 1
    private_messages: dict[int, int] = {}
    private_updates: dict[int, int] = {}
    for s in sent:
        if s.private:
            private_updates[s.user_id] = private_updates.get(s.user_id, 0) + 1
            if "message" in s.payload:
                private_messages[s.user_id] = private_messages.get(s.user_id, 0) + 1
    for user_id, count in private_messages.items():
        assert replies.get(user_id, 0) >= count, f"user {user_id}: {count} messages, {replies.get(user_id, 0)} replies"
    for user_id, count in replies.items():
        assert count <= 3 * private_updates.get(user_id, 0), f"user {user_id}: {count} replies"

    # 5. Every attendance_log row is one these inputs could legitimately produce.
    await check_log(h, sent)


async def check_log(h: BotHarness, sent: list[Sent]) -> None:
    by_update = {s.payload["update_id"]: s for s in sent}
    organiser_words = " ".join(s.text for s in sent if s.user_id == ADMIN and s.private).upper()
    organiser_files = b" ".join(
        s.spec["document"]["content"] for s in sent if s.user_id == ADMIN and s.private and s.spec["kind"] == "document"
    )
    final_pins = {p for (p,) in await h.rows("SELECT pin FROM pins")}
    possible_pins = (
        INITIAL_PINS
        | final_pins
        | set(re.findall(r"[A-Z0-9]{4,16}", organiser_words))
        | {p.decode().upper() for p in re.findall(rb"[A-Za-z0-9]{4,16}", organiser_files)}
    )
    possible_shortlinks = INITIAL_SHORTLINKS | {c for c in re.findall(r"SL[A-Z0-9]+", organiser_words)}
    scanner_commands = any(s.text.lower().startswith("/scanner") for s in sent if s.user_id == ADMIN and s.private)
    attendee_ids = {a.upper() for (a,) in await h.rows("SELECT attendee_id FROM attendees")}

    columns = (
        "id",
        "attendee_id",
        "session_id",
        "direction",
        "method",
        "accepted",
        "reason",
        "override",
        "actor_user_id",
        "scanner_user_id",
        "ref_id",
        "update_id",
        "detail",
    )
    stored = await h.rows(f"SELECT {', '.join(columns)} FROM attendance_log ORDER BY id")
    rows = [dict(zip(columns, r, strict=True)) for r in stored]
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        assert r["reason"] in ALLOWED_REASONS, r
        assert r["method"] in ("scan", "pin", "shortlink", "manual") and r["direction"] in ("IN", "OUT", "UNDO"), r
        if r["accepted"]:
            assert r["reason"] in ("ok", "checked_out_without_check_in", "undo"), r
            assert r["attendee_id"] and r["session_id"], r
        else:
            assert r["reason"] not in (
                "ok",
                "checked_out_without_check_in",
                "undo",
                "already_checked_in",
                "already_checked_out",
            ), r
        source = by_update.get(r["update_id"]) if r["update_id"] is not None else None
        if r["update_id"] is not None:
            assert source is not None, f"row from an update nobody sent: {r}"
            assert source.private, f"a group message was recorded: {r}"
            assert source.user_id == r["actor_user_id"], r
        if r["direction"] == "UNDO":
            target = by_id[r["ref_id"]]
            assert target["accepted"] and target["direction"] == "IN", (r, target)
            assert target["scanner_user_id"] == r["scanner_user_id"] == r["actor_user_id"], (r, target)
            continue
        if r["override"]:
            target = by_id[r["ref_id"]]
            assert target["reason"] in ("not_registered", "session_full"), (r, target)
            # Only the scanner who saw the RED may admit, and an admission is always accepted.
            assert target["method"] in ("scan", "manual"), (r, target)
            assert target["scanner_user_id"] == r["scanner_user_id"], (r, target)
            assert r["accepted"] and r["reason"] == "ok", (r, target)
            assert (target["attendee_id"], target["session_id"]) == (r["attendee_id"], r["session_id"]), (r, target)
            assert r["scanner_user_id"] == r["actor_user_id"] == source.user_id, r
            assert source.spec["kind"] == "callback", r
            continue
        kind = source.spec["kind"]
        assert kind != "edited" or source.text.startswith("/"), f"an edited message was recorded: {r}"
        if r["method"] == "pin":
            assert kind in ("text", "command") and "message" in source.payload, r
            assert pins.looks_like_pin(source.text), (r, source.text)
            if r["accepted"]:
                assert pins.normalise_input(source.text) in possible_pins, (r, source.text)
            assert r["scanner_user_id"] is None, r
        elif r["method"] == "shortlink":
            assert re.match(r"/start(@\w+)?\s+SL", source.text, re.IGNORECASE), (r, source.text)  # commands ignore case
            assert r["detail"] in possible_shortlinks, r
        elif r["method"] == "manual":
            assert kind in ("text", "command", "edited"), r
            assert r["scanner_user_id"] == r["actor_user_id"], r
            assert r["scanner_user_id"] == DOOR_ID or scanner_commands, r
            if r["accepted"]:
                code = source.text.strip()
                claim = badges.read_token(SECRET, code)
                assert (claim is not None and claim.attendee_id == r["attendee_id"].upper()) or (
                    code.upper() == r["attendee_id"].upper() and code.upper() in attendee_ids
                ), (r, code)
        elif r["method"] == "scan":
            assert kind in ("photo", "document"), r
            assert r["scanner_user_id"] == r["actor_user_id"], r
            assert r["scanner_user_id"] == DOOR_ID or scanner_commands, r
            if r["accepted"]:
                content = source.spec["photo"]["content"] if kind == "photo" else source.spec["document"]["content"]
                assert content == fixed_files()["badge_reg2"] and r["attendee_id"] == "REG-2", r

    # Presence is exactly what the log says: last accepted, not undone IN/OUT per person and session.
    undone = {r["ref_id"] for r in rows if r["direction"] == "UNDO"}
    last: dict[tuple, str] = {}
    for r in rows:
        if r["accepted"] and r["direction"] in ("IN", "OUT") and r["id"] not in undone:
            last[(r["attendee_id"].upper(), r["session_id"].upper())] = r["direction"]
    expected = sorted((a, s, int(d == "IN")) for (a, s), d in last.items())
    actual = sorted(
        (a.upper(), s.upper(), inside)
        for a, s, inside in await h.rows("SELECT attendee_id, session_id, inside FROM presence")
    )
    assert actual == expected


# ---------------------------------------------------------------- the property test

batches_of_updates = st.lists(st.lists(hostile_update(), min_size=10, max_size=30), min_size=2, max_size=3)


# derandomize: the same examples on every run, so CI cannot turn red by chance; to
# explore new ones locally: pytest --hypothesis-seed=random (with derandomize off).
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batches=batches_of_updates)
def test_random_updates_from_anyone_never_crash_leak_or_corrupt(batches):
    asyncio.run(run_example(batches))


# ---------------------------------------------------------------- targeted hostile cases


@pytest.fixture
async def bot(tmp_path):
    h = await setup_event(tmp_path)
    yield h
    await h.stop()


async def send_as(h: BotHarness, user_id: int, **content) -> list:
    first = {ADMIN: "Olga", DOOR_ID: "Dora"}.get(user_id, "Someone")
    return await h.deliver(await _plain(h, {"id": user_id, "first_name": first}, **content))


async def test_organiser_zip_bomb_xlsx_is_refused_and_nothing_imported(bot):
    h = bot
    before = await h.rows("SELECT COUNT(*) FROM sessions")
    file_id = h.api.add_upload(fixed_files()["zip_bomb"])
    calls = await send_as(
        h,
        ADMIN,
        document={"file_id": file_id, "file_unique_id": file_id, "file_name": "bomb.xlsx", "mime_type": MIMES[1]},
    )
    assert "nothing was imported" in calls[-1].text
    assert await h.rows("SELECT COUNT(*) FROM sessions") == before


def _xlsx_with_rows(count: int) -> bytes:
    """A real XLSX whose one sheet holds `count` attendee rows, compressed to a few KB per 10,000 rows."""
    row = '<row><c t="inlineStr"><is><t>X</t></is></c><c t="inlineStr"><is><t>Y</t></is></c></row>'
    head = '<row><c t="inlineStr"><is><t>attendee_id</t></is></c><c t="inlineStr"><is><t>name</t></is></c></row>'
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main"><sheetData>' + head + row * count + "</sheetData></worksheet>"
    )
    return _zip({**_minimal_xlsx_parts(), "xl/worksheets/sheet1.xml": sheet.encode()})


def _minimal_xlsx_parts() -> dict[str, bytes]:
    from openpyxl import Workbook

    buf = io.BytesIO()
    Workbook().save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        return {name: z.read(name) for name in z.namelist()}


async def test_organiser_xlsx_with_too_many_rows_is_refused(bot):
    h = bot
    data = _xlsx_with_rows(50_001)
    assert len(data) < 100_000  # a small upload ...
    file_id = h.api.add_upload(data)
    calls = await send_as(
        h,
        ADMIN,
        document={"file_id": file_id, "file_unique_id": file_id, "file_name": "attendees.xlsx", "mime_type": MIMES[1]},
    )
    assert "more than 50000 rows" in calls[-1].text and "nothing was imported" in calls[-1].text
    assert await h.rows("SELECT COUNT(*) FROM attendees WHERE attendee_id = 'X'") == [(0,)]


def _broken_xlsx(part: str, content: bytes | None) -> bytes:
    parts = _minimal_xlsx_parts()
    if content is None:
        del parts[part]
    else:
        parts[part] = content
    return _zip(parts)


@pytest.mark.parametrize(
    "part,content",
    [
        ("[Content_Types].xml", b"<<<not xml"),
        ("xl/workbook.xml", b"<garbage"),
        ("xl/worksheets/sheet1.xml", b"<garbage"),
        ("xl/styles.xml", b"<garbage"),
        ("xl/worksheets/sheet1.xml", None),
    ],
)
async def test_organiser_malformed_xlsx_gets_a_clear_refusal(bot, caplog, part, content):
    h = bot
    file_id = h.api.add_upload(_broken_xlsx(part, content))
    calls = await send_as(
        h,
        ADMIN,
        document={"file_id": file_id, "file_unique_id": file_id, "file_name": "sessions.xlsx", "mime_type": MIMES[1]},
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert "nothing was imported" in calls[-1].text, calls[-1].text


@pytest.mark.parametrize("data", ["undo:²", "ovr:①", "undo:1²"])
async def test_tampered_button_with_non_decimal_digits_is_refused(bot, caplog, data):
    h = bot
    payload = {
        "update_id": next(_ids),
        "callback_query": {
            "id": "1",
            "from": {"id": DOOR_ID, "is_bot": False, "first_name": "Dora", "username": "dora_door"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": DOOR_ID, "type": "private"},
                "text": "…",
            },
        },
    }
    calls = await h.deliver(payload)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert chat_texts.INTERNAL_ERROR not in [c.text for c in calls]
    assert [c.method for c in calls] == ["answerCallbackQuery"]


@pytest.mark.parametrize(
    ("data", "reply", "stored"),
    [
        (b"attendee_id,name\rREG-7,Grace Hopper\rREG-8,Alan Turing\r", "✅ attendees.csv: imported 2 attendees.", 2),
        (b"attendee_id,name\nREG-7,Grace\rHopper\n", "❌ attendees.csv: nothing was imported", 0),
        (b"attendee_id,name\nREG-7," + b"x" * 200_000 + b"\n", "❌ attendees.csv: nothing was imported", 0),
    ],
    ids=["old-mac-line-ends-imported", "stray-cr-refused", "huge-cell-refused"],
)
async def test_organiser_awkward_csv_is_imported_or_refused_clearly(bot, caplog, data, reply, stored):
    h = bot
    before = (await h.rows("SELECT COUNT(*) FROM attendees"))[0][0]
    file_id = h.api.add_upload(data)
    calls = await send_as(
        h,
        ADMIN,
        document={"file_id": file_id, "file_unique_id": file_id, "file_name": "attendees.csv", "mime_type": "text/csv"},
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert calls[-1].text.startswith(reply), calls[-1].text
    assert (await h.rows("SELECT COUNT(*) FROM attendees"))[0][0] == before + stored


async def test_group_messages_are_ignored_even_from_the_organiser_and_the_scanner(bot):
    h = bot
    group = {"id": -1001234567890, "type": "supergroup", "title": "Staff"}
    before = await h.log()
    for user_id, text in (
        (ADMIN, "/genpins new"),
        (ADMIN, "/report checkins"),
        (DOOR_ID, "/scan S2"),
        (DOOR_ID, badges.make_token(SECRET, "REG-2", 1)),
        (ADA_ID, "KEY1IN"),
        (ADA_ID, "/start SL001"),
        (ADA_ID, "/badge"),
    ):
        payload = await _plain(h, {"id": user_id, "first_name": "X"}, text=text, entities=bot_command_entities(text))
        payload["message"]["chat"] = group
        assert await h.deliver(payload) == [], text
    assert await h.log() == before
    assert await h.rows("SELECT current_session_id FROM scanners WHERE user_id = ?", (DOOR_ID,)) == [("S1",)]
    assert await h.rows("SELECT COUNT(*) FROM pins WHERE session_id = 'S3'") == [(0,)]


async def test_edited_pin_is_ignored(bot):
    h = bot
    payload = await _plain(h, {"id": ADA_ID, "first_name": "Ada", "username": "ada_l"}, text="KEY1IN")
    payload["edited_message"] = {**payload.pop("message"), "edit_date": int(time.time())}
    assert await h.deliver(payload) == []
    assert await h.log() == []


async def test_thousands_of_wrong_pins_are_refused_and_rate_limited(bot):
    h = bot
    user = {"id": 4242, "first_name": "Guesser"}
    payloads = [await _plain(h, user, text=f"GUESS{i:04d}") for i in range(300)] + [
        await _plain(h, user, text="KEY1IN")
    ]
    calls = await h.deliver(*payloads)
    reasons = [r for (r,) in await h.rows("SELECT reason FROM attendance_log WHERE actor_user_id = 4242 ORDER BY id")]
    assert reasons[:5] == ["unknown_pin"] * 5
    assert set(reasons[5:]) == {"too_many_attempts"}  # the right PIN too, once locked
    assert len(reasons) == 301 and not (await h.rows("SELECT 1 FROM presence WHERE attendee_id = 'TG-4242'"))
    assert len([c for c in calls if c.chat_id == 4242]) == 301


@pytest.mark.parametrize(
    "command",
    [
        "/attendee",
        "/session",
        "/report",
        "/access {} on",
        "/scanner @{} all",
        "/setpin S1 {}",
        "/shortlink SL{} S1",
        "/shortlinkqr SL{}",
    ],
)
async def test_organiser_refusal_of_a_maximal_command_fits_in_one_message(bot, command):
    h = bot
    template = command if "{}" in command else command + " {}"
    filler = "X" * (MESSAGE_LIMIT - len(template.format("")))
    text = template.format(filler)
    assert len(text) == MESSAGE_LIMIT  # the longest message Telegram delivers
    calls = await send_as(h, ADMIN, text=text, entities=bot_command_entities(text))
    said = [c.text for c in calls if c.method == "sendMessage"]
    assert said and all(len(t) <= MESSAGE_LIMIT for t in said), [len(t) for t in said]


def _xlsx_unpacking_to(megabytes: int) -> bytes:
    """A real XLSX whose shared-strings part unpacks to `megabytes` MB of XML from a few hundred KB:
    openpyxl reads that part in full as soon as the workbook is opened, before any row."""
    parts = _minimal_xlsx_parts()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        (
            b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
        ),
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, content in parts.items():
            z.writestr(name, content)
        chunk = b"<si><t>attendee_id</t></si>" * 40_000  # about 1 MB
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main">'
            )
            for _ in range(megabytes):
                part.write(chunk)
            part.write(b"</sst>")
    return buf.getvalue()


async def test_spreadsheet_that_unpacks_to_hundreds_of_megabytes_is_refused_unopened(bot, monkeypatch):
    import openpyxl

    h = bot
    data = _xlsx_unpacking_to(300)
    assert len(data) < 2_000_000  # well under the 10 MB upload limit
    opened = []

    def spy(*args, **kwargs):
        opened.append(True)
        raise ValueError("the test stops here rather than unpacking 300 MB")

    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    file_id = h.api.add_upload(data)
    calls = await send_as(
        h,
        ADMIN,
        document={"file_id": file_id, "file_unique_id": file_id, "file_name": "attendees.xlsx", "mime_type": MIMES[1]},
    )
    assert "nothing was imported" in calls[-1].text
    assert not opened, "the spreadsheet was opened before its unpacked size was checked"
