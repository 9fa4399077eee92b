"""The organiser dashboard and session charts: every session's live counts, one session's
arrivals and people inside over time, the latest refused attempts, and the reports.

`/dashboard` gives a signed link that expires after 12 hours: the link is the
login. It is signed (`bot.domain.signed_links`) with an event-wide secret kept
in the database, and `/dashboard revoke` replaces that secret, which ends every
earlier link.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import signed_links
from bot.files import charts
from bot.services.context import AppContext, reads, writes
from bot.services.errors import require_public_url, require_session
from bot.storage import event_settings, live_counts
from bot.storage.live_counts import RecentRefusal, SessionLine
from bot.storage.sql import Conn

SECRET_KEY = "dashboard_secret"
VALID_FOR = timedelta(hours=12)


class DashboardRefused(Exception):
    """Not a valid dashboard link (forged, expired or revoked); the message is a code for the
    log: a `signed_links.LinkProblem`, or `no_secret` before any link was made."""


@dataclass(frozen=True)
class DashboardLink:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Dashboard:
    sessions: list[SessionLine]
    refusals: list[RecentRefusal]


@writes
def dashboard_link(conn: Conn, ctx: AppContext, revoke: bool = False, language: str | None = None) -> DashboardLink:
    """A signed link, valid 12 hours; `language` (the organiser's, when not the event's) opens
    the page in it (`?lang=`: not signed, as any holder of the link may read it in any language)."""
    root = require_public_url(ctx.settings)
    secret = event_settings.get_setting(conn, SECRET_KEY)
    if secret is None or revoke:
        secret = secrets.token_hex(16)
        event_settings.set_setting(conn, SECRET_KEY, secret)
    expires_at = ctx.clock() + VALID_FOR
    expires = int(expires_at.timestamp())
    query = f"?lang={language}" if language and language != ctx.event_language else ""
    token = signed_links.make(signed_links.DASHBOARD, secret, expires)
    return DashboardLink(f"{root}/dashboard/{token}/{query}", expires_at)


def _check(conn: Conn, ctx: AppContext, token: str) -> None:
    secret = event_settings.get_setting(conn, SECRET_KEY)
    if secret is None:
        raise DashboardRefused("no_secret")  # no link was ever made
    try:
        signed_links.verify(signed_links.DASHBOARD, secret, token, ctx.clock().timestamp())
    except signed_links.SignedLinkError as error:
        raise DashboardRefused(error.problem) from None


@reads
def dashboard(conn: Conn, ctx: AppContext, token: str) -> Dashboard:
    _check(conn, ctx, token)
    return Dashboard(live_counts.all_session_counts(conn), live_counts.recent_refusals(conn))


@reads
def check_link(conn: Conn, ctx: AppContext, token: str) -> None:
    """Refuse a bad link before anything heavier (a chart, a report) is made for it."""
    _check(conn, ctx, token)


@reads
def _timeline(conn: Conn, ctx: AppContext, session_id: str):
    session = require_session(conn, session_id)
    return session, live_counts.session_movements(conn, session.session_id)


async def session_chart(ctx: AppContext, session_id: str, fmt: str = "png") -> bytes:
    """Arrivals per 5 minutes and people inside over time, drawn off the event loop."""
    session, movements = await _timeline(ctx, session_id)
    return await asyncio.to_thread(
        charts.session_chart, movements, session.starts_at, session.ends_at, ctx.timezone, fmt
    )
