"""Signed badge tokens: what a badge QR code encodes.

Format (documented in the README for badge printers)::

    B1:<ATTENDEE ID>:<BADGE VERSION>:<SIGNATURE>

* `ATTENDEE ID` is the organiser's attendee id in upper case (ids are compared
  without regard to case), at most 16 characters of A-Z, 0-9, `-`, `.`, `/`.
* `BADGE VERSION` is a decimal number; reissuing a badge increments it, which
  revokes every older code of that attendee.
* `SIGNATURE` is the first 16 characters of the RFC 4648 base32 encoding
  (A-Z, 2-7, no padding) of HMAC-SHA256(event secret, "B1:<ID>:<VERSION>").

Every character is in the QR alphanumeric set, so the code stays small (a
version 2 or 3 QR symbol) and reads from across a doorway. 80 bits of
signature cannot be guessed at the rate a door scanner takes photos.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

PREFIX = "B1"
SIGNATURE_LENGTH = 16
ATTENDEE_ID_RE = re.compile(r"^[A-Za-z0-9./-]{1,16}$")
_TOKEN_RE = re.compile(r"^B1:([A-Z0-9./-]{1,16}):([1-9][0-9]{0,5}):([A-Z2-7]{16})$")
MAX_TOKEN_LENGTH = 40


@dataclass(frozen=True)
class BadgeClaim:
    """What a well-signed token says: who, and which version of their badge."""

    attendee_id: str
    version: int


def _signature(secret: str, attendee_id: str, version: int) -> str:
    mac = hmac.new(secret.encode(), f"{PREFIX}:{attendee_id}:{version}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:SIGNATURE_LENGTH]


def make_token(secret: str, attendee_id: str, version: int) -> str:
    if not ATTENDEE_ID_RE.match(attendee_id):
        raise ValueError(f"attendee id {attendee_id!r} cannot be put on a badge")
    ident = attendee_id.upper()
    return f"{PREFIX}:{ident}:{version}:{_signature(secret, ident, version)}"


def read_token(secret: str, text: str) -> BadgeClaim | None:
    """The claim of a genuine token, or None for anything forged or malformed."""
    match = _TOKEN_RE.match(text.strip().upper())
    if not match:
        return None
    ident, version, signature = match.group(1), int(match.group(2)), match.group(3)
    if not hmac.compare_digest(signature, _signature(secret, ident, version)):
        return None
    return BadgeClaim(ident, version)


def looks_like_token(text: str) -> bool:
    return text.strip().upper().startswith(PREFIX + ":")
