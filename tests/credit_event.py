"""A small event with session credits, as an organiser imports it through the real bot, and a morning
of attendance: the shared fixture `credits_event` (tests/conftest.py) for the credits, certificate and
verification tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from tests.harness import ORGANISER, BotHarness, User

SESSIONS = """session_id,title,starts_at,ends_at,pin_in,pin_out,credits,credit_rule
S12,Keynote,2026-05-14 10:30,2026-05-14 11:30,KEYIN12,KEYOUT12,1.5,
S13,Workshop,2026-05-14 12:00,2026-05-14 13:00,WORKIN13,WORKOUT13,2,proportional
S14,Coffee,2026-05-14 13:00,2026-05-14 13:30,CAFEIN14,CAFEOUT14,,
"""
ATTENDEES = """attendee_id,name
A1,Anna Albers
A2,Ben Brook
A3,Carl Cole
A4,=Dora Dunn
"""
REGISTRATIONS = """attendee_id,session_id
A1,S12
A2,S12
A3,S12
"""
LINKED = {"A1": 501, "A2": 502, "A3": 503}


async def upload(h: BotHarness, content: str, name: str) -> str:
    calls = await h.send_document(ORGANISER, content.encode(), name)
    return calls[-1].text


@asynccontextmanager
async def credits_event(tmp_path: Path) -> AsyncIterator[BotHarness]:
    h = await BotHarness(tmp_path).start()
    for name, content in (("sessions.csv", SESSIONS), ("attendees.csv", ATTENDEES), ("r.csv", REGISTRATIONS)):
        assert (await upload(h, content, name)).startswith("✅"), name
    for attendee_id, user_id in LINKED.items():
        await h.execute("UPDATE attendees SET telegram_user_id = ? WHERE attendee_id = ?", (user_id, attendee_id))
    yield h
    await h.stop()


async def pin_at(h: BotHarness, user_id: int, hour: int, minute: int, pin: str) -> None:
    h.clock.now = datetime(2026, 5, 14, hour, minute, tzinfo=UTC)
    reply = await h.reply_text(User(user_id), pin)
    assert reply.startswith(("✅", "👋")), reply


async def attended(h: BotHarness) -> None:
    """A1: 50 of the keynote's 60 minutes, 40 of the workshop's; A2: 30 of the keynote's; A3 never came."""
    await pin_at(h, 501, 8, 30, "KEYIN12")
    await pin_at(h, 502, 8, 30, "KEYIN12")
    await pin_at(h, 502, 9, 0, "KEYOUT12")
    await pin_at(h, 501, 9, 20, "KEYOUT12")
    await pin_at(h, 501, 10, 0, "WORKIN13")
    await pin_at(h, 501, 10, 40, "WORKOUT13")
    h.clock.now = datetime(2026, 5, 14, 12, 0, tzinfo=UTC)  # every session has ended
