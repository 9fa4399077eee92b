"""Badges, for organisers: one attendee's code, reissuing (revoking) a badge, every badge for printing.

Printed badges speak the event language (`AppContext.event_language`), whoever asks
for them: everybody at the event reads them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot import i18n
from bot.domain import badges
from bot.files import printables, qr
from bot.services.context import AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem, require_attendee
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


BADGE_FORMATS = ("zip", "pdf")


async def print_badges(ctx: AppContext, fmt: str = "zip") -> tuple[bytes, int]:
    """Every attendee's badge for the printer, and how many: `zip` holds one PNG each
    (4 × 3 in at 300 DPI, for badge printers), `pdf` the same badges five to an A4 page
    with cut marks (for an office printer and a guillotine)."""
    fmt = fmt.lower()
    if fmt not in BADGE_FORMATS:
        raise OrganiserError(Problem.BADGE_FORMAT, fmt=fmt)
    everyone = await _everyone(ctx)
    if not everyone:
        raise OrganiserError(Problem.NO_ATTENDEES)
    with i18n.speaking(ctx.event_language):  # the worker thread takes the language along
        data = await asyncio.to_thread(_print, ctx.badge_secret, ctx.event_name, everyone, fmt)
    return data, len(everyone)


@reads
def _everyone(conn, ctx: AppContext) -> list[AttendeeRow]:
    return attendees.all_attendees(conn)


def _print(secret: str, event_name: str, everyone: list[AttendeeRow], fmt: str) -> bytes:
    pngs = printables.badge_pngs(
        [
            (badges.make_token(secret, a.attendee_id, a.badge_version), a.name, a.attendee_id, event_name)
            for a in everyone
        ]
    )
    if fmt == "pdf":
        return printables.badge_sheets_pdf(pngs, event_name)
    return qr.zip_bytes(
        [(f"badge-{_safe_name(a.attendee_id)}.png", png) for a, png in zip(everyone, pngs, strict=True)]
    )


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in text)
