"""Onsite QR shortlinks, for organisers: create, list, remove, print.

Posters speak the event language (`AppContext.event_language`), whoever asks for
them: their words and the session's time are read by everybody at the event."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from bot import i18n
from bot.domain.times import format_span
from bot.files import printables, qr
from bot.services.context import AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem, require_session
from bot.storage import agenda, shortlink_codes
from bot.storage.records import SessionRow
from bot.storage.shortlink_codes import ShortlinkRow

SHORTLINK_CODE_RE = re.compile(r"^SL[A-Z0-9]{1,62}$")


@dataclass(frozen=True)
class ShortlinkLine:
    code: str
    session: SessionRow
    reference: str
    popup: str
    link: str


@writes
def set_shortlink(
    conn, ctx: AppContext, code: str, session_id: str, popup: str = "", reference: str = ""
) -> ShortlinkLine:
    """Create or update a shortlink. The code is also a Telegram deep-link payload,
    so it must stay within `A-Za-z0-9_-` and 64 characters; we ask for `SL` and
    upper-case letters or digits, as the product defines (typed in any case)."""
    code = code.upper()
    if not SHORTLINK_CODE_RE.match(code):
        raise OrganiserError(Problem.SHORTLINK_CODE, code=code)
    session = require_session(conn, session_id)
    shortlink_codes.upsert(
        conn, ShortlinkRow(code, session.session_id, reference or session.title, popup.strip()[:500])
    )
    link = shortlink_codes.get(conn, code)
    return ShortlinkLine(code, session, link.reference, link.popup, ctx.deep_link(code))


@writes
def remove_shortlink(conn, ctx: AppContext, code: str) -> None:
    if not shortlink_codes.delete(conn, code.upper()):
        raise OrganiserError(Problem.UNKNOWN_SHORTLINK, code=code)


@reads
def list_shortlinks(conn, ctx: AppContext, codes: list[str] | None = None) -> list[ShortlinkLine]:
    rows = shortlink_codes.all_shortlinks(conn)
    sessions = {s.session_id.upper(): s for s in agenda.all_sessions(conn)}
    if codes:
        wanted = {c.upper() for c in codes}
        missing = wanted - {r.code for r in rows}
        if missing:
            raise OrganiserError(Problem.UNKNOWN_SHORTLINKS, codes=sorted(missing))
        rows = [r for r in rows if r.code in wanted]
    lines = []
    for r in rows:
        session = sessions[r.session_id.upper()]
        lines.append(ShortlinkLine(r.code, session, r.reference, r.popup, ctx.deep_link(r.code)))
    return lines


async def shortlink_qr_zip(
    ctx: AppContext, codes: list[str] | None = None, parallel: bool | None = None
) -> tuple[bytes, int]:
    """A4 check-in posters, one PNG per shortlink: event, session title, room, time, the deep
    link's QR and how to use it. The shortlink's code names the file."""
    lines = await list_shortlinks(ctx, codes)
    if not lines:
        raise OrganiserError(Problem.NO_SHORTLINKS)
    with i18n.speaking(ctx.event_language):  # the worker thread (and its processes) take the language along
        jobs = [
            (
                line.link,
                line.session.title,
                line.session.room,
                format_span(line.session.starts_at, line.session.ends_at, ctx.timezone),
                ctx.event_name,
                ctx.bot_username or "",  # for "find @bot and send /start CODE" under the QR code
                line.code,
            )
            for line in lines
        ]
        pngs = await asyncio.to_thread(printables.poster_pngs, jobs, parallel)
    return qr.zip_bytes([(f"{line.code}.png", png) for line, png in zip(lines, pngs, strict=True)]), len(lines)
