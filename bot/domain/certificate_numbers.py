"""Certificate numbers and their verification links (pure).

A number is 12 random characters of Crockford's base32 (no I, L, O, U: nothing to misread),
shown in groups of four (`7KQ2-M9XD-4TPA`): 60 random bits, so numbers cannot be guessed or
enumerated. The verification link is `/verify/<NUMBER>.<signature>`, the signature being the
first 128 bits, in lower-case hex, of HMAC-SHA256 of `certificate.<NUMBER>` under the event's
certificate secret (kept in the database), in the manner of `bot.domain.signed_links`:
a link with a changed character is refused before the database is asked. A certificate
link never expires; a revoked certificate says so on its page.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
SIGNATURE_LENGTH = 32
_TOKEN = re.compile(rf"(?P<number>[{ALPHABET}]{{{LENGTH}}})\.(?P<signature>[0-9a-f]{{{SIGNATURE_LENGTH}}})")


def new_number() -> str:
    """A fresh random number, without dashes."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(number: str) -> str:
    """`7KQ2M9XD4TPA` as printed: `7KQ2-M9XD-4TPA`."""
    return "-".join(number[i : i + 4] for i in range(0, len(number), 4))


def plain(text: str) -> str:
    """A number as typed (dashes, spaces, lower case) back to its stored form."""
    return re.sub(r"[\s-]", "", text).upper()


def _signature(secret: str, number: str) -> str:
    return hmac.new(secret.encode(), f"certificate.{number}".encode(), hashlib.sha256).hexdigest()[:SIGNATURE_LENGTH]


def token(secret: str, number: str) -> str:
    return f"{number}.{_signature(secret, number)}"


def verify(secret: str, text: str) -> str | None:
    """The number a token names when its signature is right (constant-time), else None."""
    match = _TOKEN.fullmatch(text)
    if match is None:
        return None
    number = match.group("number")
    return number if hmac.compare_digest(match.group("signature"), _signature(secret, number)) else None
