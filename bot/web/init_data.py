"""Telegram Mini App `initData`: who is asking, proved by Telegram's signature.

Telegram opens a Mini App with `initData`, a query string signed for this bot
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the `hash` field is HMAC-SHA256 of the other fields, sorted by key and joined
as `key=value` lines, under the key HMAC-SHA256("WebAppData", bot token). Only
Telegram and the bot know the token, so a valid hash proves the `user` field.
`auth_date` is when Telegram signed it: older data is refused, so a leaked
string stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

MAX_LENGTH = 4096  # Telegram's initData is a few hundred characters


class InitDataRejected(Exception):
    """Not valid `initData` for this bot, or too old; the message says which, for the log only."""


@dataclass(frozen=True)
class MiniAppUser:
    user_id: int
    first_name: str
    last_name: str
    username: str | None
    language_code: str | None
    signed_at: datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The `hash` Telegram would give `fields` (tests and the demo build initData with it)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    return hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()


def validate(init_data: str, bot_token: str, max_age: timedelta, now: datetime | None = None) -> MiniAppUser:
    """The Telegram user `init_data` was signed for; `InitDataRejected` for anything else."""
    if not init_data or len(init_data) > MAX_LENGTH:
        raise InitDataRejected("missing or oversized initData")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRejected("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataRejected("a field appears twice")
    given = fields.pop("hash", "")
    if not given:
        raise InitDataRejected("no hash")
    if not hmac.compare_digest(given.encode(), sign(fields, bot_token).encode()):
        raise InitDataRejected("wrong signature (forged, altered, or signed for another bot)")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataRejected("no user or auth_date") from None
    if not 0 < user_id < 2**63:  # Telegram's ids are positive; the database stores 64 bits
        raise InitDataRejected("user id out of range")
    now = now or datetime.now(UTC)
    if now - signed_at > max_age:
        raise InitDataRejected(f"signed {now - signed_at} ago, more than {max_age}")
    if signed_at - now > timedelta(minutes=5):  # clocks differ a little, not by this much
        raise InitDataRejected("signed in the future")
    return MiniAppUser(
        user_id,
        str(user.get("first_name") or ""),
        str(user.get("last_name") or ""),
        user.get("username") or None,
        user.get("language_code") or None,
        signed_at,
    )
