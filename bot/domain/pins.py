"""Session PINs: what a valid PIN is, how attendees' input is read, how PINs are generated."""

from __future__ import annotations

import re
import secrets

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


def pin_problem(pin: str) -> str | None:
    """Why an organiser's custom PIN is not acceptable, or None if it is.

    Organisers' PINs are taken as written (no upper-casing), because a
    lower-case PIN in a spreadsheet is more likely a mistake than an intent.
    """
    if not pin:
        return "a PIN cannot be empty"
    if not re.fullmatch(r"[A-Z0-9]+", pin):
        return f"PIN {pin!r} may contain only upper-case letters A-Z and digits 0-9"
    if not MIN_LENGTH <= len(pin) <= MAX_LENGTH:
        return f"PIN {pin!r} must be {MIN_LENGTH} to {MAX_LENGTH} characters long"
    return None


def generate_pin(taken: set[str] | frozenset[str]) -> str:
    """A fresh random PIN not in `taken`."""
    while True:
        pin = "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_LENGTH))
        if pin not in taken:
            return pin
