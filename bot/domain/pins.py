"""Session PINs: what a valid PIN is, how attendees' input is read, how PINs are generated."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from enum import StrEnum

# No look-alikes: 0/O, 1/I are missing so a PIN read off a slide is typed right.
GENERATED_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 6
MIN_LENGTH, MAX_LENGTH = 4, 16
_PIN_RE = re.compile(rf"^[A-Z0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}$")


def normalise_input(text: str) -> str:
    """An attendee's message as a PIN candidate: any case, surrounding spaces ignored."""
    return text.strip().upper()


def looks_like_pin(text: str) -> bool:
    """Whether a message could be a PIN attempt (so it counts toward the limit)."""
    return bool(_PIN_RE.match(normalise_input(text)))


class PinProblem(StrEnum):
    """Why an organiser's PIN is refused; worded by `bot.files.sheet_reader.pin_problem_text`."""

    EMPTY = "empty"
    BAD_CHARACTERS = "bad_characters"  # anything but A-Z and 0-9
    BAD_LENGTH = "bad_length"  # not MIN_LENGTH to MAX_LENGTH characters


def pin_problem(pin: str) -> PinProblem | None:
    """Why an organiser's custom PIN is not acceptable, or None if it is.

    Organisers' PINs are taken as written (no upper-casing), because a
    lower-case PIN in a spreadsheet is more likely a mistake than an intent.
    """
    if not pin:
        return PinProblem.EMPTY
    if not re.fullmatch(r"[A-Z0-9]+", pin):
        return PinProblem.BAD_CHARACTERS
    if not MIN_LENGTH <= len(pin) <= MAX_LENGTH:
        return PinProblem.BAD_LENGTH
    return None


def generate_pin(taken: set[str] | frozenset[str]) -> str:
    """A fresh random PIN not in `taken`."""
    while True:
        pin = "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_LENGTH))
        if pin not in taken:
            return pin


# ---------------------------------------------------------------- rotating PINs

DEEP_LINK_PREFIX = "pin-"  # `/start pin-K7PX3M`: a room display's QR code sends its PIN
ROTATION_MIN, ROTATION_MAX = 10, 3600  # seconds a rotating PIN is shown for
EXPIRED_LOOKBACK = 30  # steps back that are still recognised as an expired PIN (not a wrong one)


class PinAge(StrEnum):
    CURRENT = "current"  # the PIN of this step or the previous one: accepted
    EXPIRED = "expired"  # an older step's PIN: someone passed it on, or read an old photo of the screen


def new_rotation_secret() -> str:
    """A session's own secret for its rotating PIN: 128 random bits, kept in the database."""
    return secrets.token_hex(16)


def rotation_step(now: datetime, seconds: int) -> int:
    return int(now.timestamp()) // seconds


def rotating_pin(secret: str, step: int) -> str:
    """The PIN a room display shows during `step`, in the manner of TOTP: HMAC-SHA256 of the
    step under the session's own secret, six characters of the look-alike-free alphabet
    (32 of them: each byte modulo 32 is unbiased)."""
    digest = hmac.new(secret.encode(), step.to_bytes(8, "big"), hashlib.sha256).digest()
    return "".join(GENERATED_ALPHABET[b % len(GENERATED_ALPHABET)] for b in digest[:GENERATED_LENGTH])


def rotating_pin_age(pin: str, secret: str, seconds: int, now: datetime) -> PinAge | None:
    """Whether `pin` is this session's rotating PIN now (the current or the previous step, so
    someone typing it as the screen changes is not refused), an expired one, or not its PIN."""
    step = rotation_step(now, seconds)
    for back in range(EXPIRED_LOOKBACK + 1):
        if hmac.compare_digest(pin, rotating_pin(secret, step - back)):
            return PinAge.CURRENT if back <= 1 else PinAge.EXPIRED
    return None
