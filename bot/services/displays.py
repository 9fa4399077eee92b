"""Room displays: a page per session for the projector or the screen at the door.

The link is the whole credential (`/display/<token>/`), so it is signed: the
token names the session and an expiry, and carries HMAC-SHA256 of both under
a secret of that session's own (`bot.domain.signed_links` owns the format).
`/display S12 revoke` gives the session a new secret, which ends every earlier
link of that session and no other. A display never shows anything but its own
session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot import i18n
from bot.domain import pins as pin_rules
from bot.domain import signed_links
from bot.domain.rules import Direction
from bot.domain.times import format_local, format_span
from bot.services.context import AppContext, reads, writes
from bot.services.errors import require_public_url, require_session
from bot.services.event import session_window, stored_window_settings
from bot.storage import agenda, live_counts, shortlink_codes
from bot.storage.sql import Conn


class DisplayRefused(Exception):
    """Not a valid display link (forged, expired, revoked, or its session is gone); the
    message is a code for the log: a `signed_links.LinkProblem`, or `unknown_session`."""


@dataclass(frozen=True)
class DisplayLink:
    session_id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class DisplayState:
    """Everything the page shows, as of `now`."""

    session_id: str
    title: str
    room: str
    when: str
    window: str
    pin: str | None  # what attendees type now (the rotating PIN, or the fixed IN PIN)
    rotates_every: int | None
    next_change_in: float | None  # seconds until a rotating PIN changes
    check_in_link: str | None  # what the QR code on the screen opens
    inside: int
    checked_in: int
    capacity: int | None
    # The moments behind `when` and `window`, for a page that writes them in another language.
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    opens: datetime | None = None
    closes: datetime | None = None


def session_of(token: str) -> str | None:
    """The session id a display token names (not verified: for grouping a session's screens,
    never for trusting one), or None for something that is not a display token."""
    try:
        return signed_links.read(signed_links.DISPLAY, token).subject
    except signed_links.SignedLinkError:
        return None


@writes
def display_link(conn: Conn, ctx: AppContext, session_id: str, revoke: bool = False) -> DisplayLink:
    """A signed link to the session's display, valid until the end of the session's day
    (event time); `revoke` first ends every earlier link of the session."""
    root = require_public_url(ctx.settings)
    session = require_session(conn, session_id)
    secret = agenda.display_secret(conn, session.session_id)
    if secret is None or revoke:
        secret = secrets.token_hex(16)
        agenda.set_display_secret(conn, session.session_id, secret)
    day_end = datetime.combine(
        session.ends_at.astimezone(ctx.timezone).date() + timedelta(days=1), time(), ctx.timezone
    )
    expires = int(day_end.timestamp())
    token = signed_links.make(signed_links.DISPLAY, secret, expires, session.session_id)
    return DisplayLink(session.session_id, f"{root}/display/{token}/", day_end)


def _session_for(conn: Conn, ctx: AppContext, token: str):
    session_id = session_of(token)
    if session_id is None:
        raise DisplayRefused(signed_links.LinkProblem.MALFORMED)
    session = agenda.get_session(conn, session_id)
    secret = agenda.display_secret(conn, session.session_id) if session else None
    if session is None or secret is None:
        raise DisplayRefused("unknown_session")  # no such session, or no link was ever made for it
    try:
        signed_links.verify(signed_links.DISPLAY, secret, token, ctx.clock().timestamp())
    except signed_links.SignedLinkError as error:
        raise DisplayRefused(error.problem) from None
    return session


@reads
def display_state(conn: Conn, ctx: AppContext, token: str) -> DisplayState:
    """What the display of the session `token` names shows now; `DisplayRefused` for a bad link.
    `when` and `window` are written in the event language, whoever asks: every screen of the
    session shares this state (`bot.web.display_pages.RecentStates`); a page in another language
    writes them again from `starts_at`, `ends_at`, `opens` and `closes`."""
    session = _session_for(conn, ctx, token)
    now = ctx.clock()
    tz = ctx.timezone
    checked_in, inside = live_counts.display_counts(conn, session.session_id)
    fixed_in = agenda.pin_of(conn, session.session_id, "IN")
    pin, next_change, link = fixed_in, None, None
    seconds = session.pin_rotation_seconds
    if seconds:
        secret = agenda.pin_secret(conn, session.session_id)
        step = pin_rules.rotation_step(now, seconds)
        pin = pin_rules.rotating_pin(secret, step)
        next_change = (step + 1) * seconds - now.timestamp()
    shortlink = None if seconds else shortlink_codes.first_for_session(conn, session.session_id)
    if ctx.bot_username and (shortlink or pin):
        # A rotating PIN goes into the link too, so a photo of the screen stops working with it.
        link = ctx.deep_link(shortlink.code if shortlink else f"{pin_rules.DEEP_LINK_PREFIX}{pin}")
    window = session_window(session, Direction.IN, stored_window_settings(conn))
    with i18n.speaking(ctx.event_language):
        when = format_span(session.starts_at, session.ends_at, tz)
        window_text = f"{format_local(window.opens, tz, False)}–{format_local(window.closes, tz, False)}"
    return DisplayState(
        session_id=session.session_id,
        title=session.title,
        room=session.room,
        when=when,
        window=window_text,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        opens=window.opens,
        closes=window.closes,
        pin=pin,
        rotates_every=seconds,
        next_change_in=next_change,
        check_in_link=link,
        inside=inside,
        checked_in=checked_in,
        capacity=session.capacity,
    )
