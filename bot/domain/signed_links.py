"""Signed, expiring links: the token format of room display and dashboard links, in one place.

A token is `<subject>.<expires>.<signature>` (a room display: the subject is the
session id) or `<expires>.<signature>` (the dashboard: one per event, so the
token names no subject). `expires` is a Unix time in whole seconds;
`signature` is the first 128 bits, in lower-case hex, of HMAC-SHA256 of
`<SUBJECT>.<expires>` (the subject upper-cased, as session ids are
case-insensitive) or, for a kind without subject, `<kind>.<expires>`, under a
secret of the link's own kind kept in the database: one per session for
displays, one for the event's dashboards. Replacing a secret revokes every
link made under it, and since no two kinds or sessions share a secret, a token
of one kind or session never opens another.

Why our own HMAC rather than itsdangerous: the secrets live in the database,
one per revocable scope, so revoking is replacing a row, which itsdangerous
would not change; its tokens are also longer (base64 payload and timestamp)
and another format, so every link already printed or open on a screen would
stop working. What we sign is two fields, which a dozen lines do with the
standard library; this module is the only place that knows the format.

Pure: no I/O, no clock (the caller passes `now`). Refusals are codes
(`LinkProblem`), raised as `SignedLinkError`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

SIGNATURE_LENGTH = 32  # hex characters: 128 bits
_EXPIRES = r"[0-9]{1,12}"
_SIGNATURE = rf"[0-9a-f]{{{SIGNATURE_LENGTH}}}"
_SUBJECT = r"[A-Za-z0-9._-]{1,32}"  # a session id (bot.files.sheet_reader.SESSION_ID_RE)


@dataclass(frozen=True)
class LinkKind:
    """What a link opens: `names_subject` when its token carries one (a session's display)."""

    name: str
    names_subject: bool


DISPLAY = LinkKind("display", names_subject=True)
DASHBOARD = LinkKind("dashboard", names_subject=False)


@cache
def _pattern(kind: LinkKind) -> re.Pattern[str]:
    subject = rf"(?P<subject>{_SUBJECT})\." if kind.names_subject else ""
    return re.compile(rf"{subject}(?P<expires>{_EXPIRES})\.(?P<signature>{_SIGNATURE})")


class LinkProblem(StrEnum):
    MALFORMED = "malformed"  # not a token of this kind at all (truncated, wrong shape, another kind's)
    FORGED = "forged"  # well formed, but not signed by this secret: forged, altered, or revoked
    EXPIRED = "expired"  # signed, but past its expiry


class SignedLinkError(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Token:
    subject: str | None  # None for a kind whose token names no subject
    expires: int
    signature: str


def _signature(kind: LinkKind, secret: str, subject: str | None, expires: int) -> str:
    named = subject.upper() if kind.names_subject and subject is not None else kind.name
    digest = hmac.new(secret.encode(), f"{named}.{expires}".encode(), hashlib.sha256).hexdigest()
    return digest[:SIGNATURE_LENGTH]


def make(kind: LinkKind, secret: str, expires: int, subject: str | None = None) -> str:
    """The token of a link of `kind` to `subject` (None for a kind without subject), valid until `expires`."""
    if kind.names_subject != (subject is not None):
        raise ValueError(f"a {kind.name} link {'needs' if kind.names_subject else 'takes no'} subject")
    signature = _signature(kind, secret, subject, expires)
    token = f"{expires}.{signature}" if subject is None else f"{subject}.{expires}.{signature}"
    if not _pattern(kind).fullmatch(token):
        raise ValueError(f"cannot sign {subject!r}, {expires!r}")
    return token


def read(kind: LinkKind, token: str) -> Token:
    """What a token says, unverified: its subject (to find the secret), expiry and signature.
    Raises `SignedLinkError(MALFORMED)` when it is not a token of this kind."""
    match = _pattern(kind).fullmatch(token)
    if match is None:
        raise SignedLinkError(LinkProblem.MALFORMED)
    subject = match.group("subject") if kind.names_subject else None
    return Token(subject, int(match.group("expires")), match.group("signature"))


def verify(kind: LinkKind, secret: str, token: str, now: float) -> Token:
    """The token, read and checked against `secret` (constant-time) and `now` (a Unix time);
    `SignedLinkError` with MALFORMED, FORGED or EXPIRED otherwise."""
    read_token = read(kind, token)
    expected = _signature(kind, secret, read_token.subject, read_token.expires)
    if not hmac.compare_digest(read_token.signature, expected):
        raise SignedLinkError(LinkProblem.FORGED)
    if now > read_token.expires:
        raise SignedLinkError(LinkProblem.EXPIRED)
    return read_token
