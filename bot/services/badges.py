"""Badges, for organisers: one attendee's code, reissuing (revoking) a badge, every badge for printing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot import qr
from bot.domain import badges
from bot.services.context import AppContext, reads, writes
from bot.services.errors import require_attendee
from bot.storage import attendees
from bot.storage.records import AttendeeRow


@dataclass(frozen=True)
class Badge:
    attendee_id: str
    name: str
    token: str


@reads
def badge_for(conn, ctx: AppContext, attendee_id: str) -> Badge:
    attendee = require_attendee(conn, attendee_id)
    return Badge(
        attendee.attendee_id,
        attendee.name,
        badges.make_token(ctx.badge_secret, attendee.attendee_id, attendee.badge_version),
    )


@writes
def reissue_badge(conn, ctx: AppContext, attendee_id: str) -> Badge:
    """A new badge version: every earlier code of this attendee is refused as `revoked`."""
    attendee = require_attendee(conn, attendee_id)
    version = attendees.bump_badge_version(conn, attendee.attendee_id)
    return Badge(
        attendee.attendee_id, attendee.name, badges.make_token(ctx.badge_secret, attendee.attendee_id, version)
    )


async def badges_zip(ctx: AppContext) -> tuple[bytes, int]:
    """Print-ready badge PNGs (QR with name and id underneath) for every attendee."""
    everyone = await _everyone(ctx)
    files = await asyncio.to_thread(_badge_files, ctx.badge_secret, everyone)
    return qr.zip_bytes(files), len(files)


@reads
def _everyone(conn, ctx: AppContext) -> list[AttendeeRow]:
    return attendees.all_attendees(conn)


def _badge_files(secret: str, attendees) -> list[tuple[str, bytes]]:
    pngs = qr.qr_pngs(
        [(badges.make_token(secret, a.attendee_id, a.badge_version), [a.name, a.attendee_id]) for a in attendees]
    )
    return [(f"badge-{_safe_name(a.attendee_id)}.png", png) for a, png in zip(attendees, pngs, strict=True)]


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in text)
