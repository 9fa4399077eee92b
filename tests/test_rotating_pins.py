"""Rotating IN PINs: the PIN on the room's screen changes every N seconds, so a PIN passed on to a
group chat stops working within a step or two. The clock is the test's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.pins import GENERATED_ALPHABET, PinAge, rotating_pin, rotating_pin_age, rotation_step
from tests.harness import ORGANISER, User

SECRET = "0123456789abcdef0123456789abcdef"
T0 = datetime(2026, 5, 14, 8, 0, 0, tzinfo=UTC)  # a step boundary for 60 s steps
ADA, BOB, CLEO = User(501, "Ada", "ada_l"), User(502, "Bob"), User(503, "Cleo", "cleo_p")


def test_a_rotating_pin_is_six_characters_of_the_pin_alphabet_and_changes_every_step():
    step = rotation_step(T0, 60)
    pins = [rotating_pin(SECRET, step + n) for n in range(50)]
    assert all(len(p) == 6 and set(p) <= set(GENERATED_ALPHABET) for p in pins)
    assert len(set(pins)) == 50
    assert rotating_pin(SECRET, step) == rotating_pin(SECRET, step)  # the display and the bot agree
    assert rotating_pin("another-secret", step) != rotating_pin(SECRET, step)


@pytest.mark.parametrize(
    ("shown_at", "typed_at", "age"),
    [
        (T0, T0, PinAge.CURRENT),
        (T0, T0 + timedelta(seconds=59), PinAge.CURRENT),  # last second of the step
        (T0, T0 + timedelta(seconds=60), PinAge.CURRENT),  # the screen just changed: the previous step
        (T0, T0 + timedelta(seconds=119), PinAge.CURRENT),
        (T0, T0 + timedelta(seconds=120), PinAge.EXPIRED),  # two steps on
        (T0, T0 + timedelta(minutes=30), PinAge.EXPIRED),
        (T0, T0 + timedelta(minutes=32), None),  # too old to tell from a wrong PIN
        (T0 + timedelta(seconds=60), T0, None),  # a future PIN is not accepted early
    ],
)
def test_the_current_and_previous_step_are_accepted_older_ones_expired(shown_at, typed_at, age):
    pin = rotating_pin(SECRET, rotation_step(shown_at, 60))
    assert rotating_pin_age(pin, SECRET, 60, typed_at) is age


async def rotating_now(event, session: str = "S1") -> str:
    reply = await event.reply_text(ORGANISER, "/pins")
    line = next(line for line in reply.splitlines() if line.startswith(f"• {session} "))
    rotating = reply.splitlines()[reply.splitlines().index(line) + 1]
    return rotating.split("now ", 1)[1].split()[0]


async def test_a_rotating_pin_checks_in_then_expires(event):
    event.clock.now = T0
    reply = await event.reply_text(ORGANISER, "/pinrotate S1 60")
    assert reply.startswith("✅ S1 · Opening keynote: the IN PIN rotates every 60 s; now ")
    shown = await rotating_now(event)
    assert "Checked in to S1" in await event.reply_text(ADA, shown.lower())
    event.clock.advance(seconds=70)  # the screen shows the next PIN; the old one still works
    assert "Checked in to S1" in await event.reply_text(BOB, shown)
    event.clock.advance(seconds=60)
    reply = await event.reply_text(CLEO, shown)
    assert reply == "⌛ That PIN has expired: use the one on the screen now (S1 · Opening keynote)."
    assert "Checked in to S1" in await event.reply_text(CLEO, await rotating_now(event))
    assert await event.rows("SELECT attendee_id, reason, session_id FROM attendance_log ORDER BY id") == [
        ("REG-1", "ok", "S1"),
        ("TG-502", "ok", "S1"),
        ("TG-503", "pin_expired", "S1"),
        ("TG-503", "ok", "S1"),
    ]
    # The fixed PINs keep working beside it.
    assert "Checked out of S1" in await event.reply_text(ADA, "KEY1OUT")


async def test_expired_pins_count_toward_the_attempt_limit(event):
    event.clock.now = T0
    await event.send(ORGANISER, "/pinrotate S1 60")
    old = await rotating_now(event)
    event.clock.advance(minutes=5)
    for _ in range(5):
        assert "expired" in await event.reply_text(BOB, old)
    assert "Too many wrong PINs" in await event.reply_text(BOB, await rotating_now(event))


async def test_rotation_off_and_bad_values(event):
    event.clock.now = T0
    await event.send(ORGANISER, "/pinrotate S1 60")
    shown = await rotating_now(event)
    assert "no longer rotates" in await event.reply_text(ORGANISER, "/pinrotate s1 off")
    assert "doesn't match any session" in await event.reply_text(ADA, shown)
    for bad in ("5", "3601", "soon", "６０"):
        assert "say how many seconds each PIN is shown (10 to 3600)" in await event.reply_text(
            ORGANISER, f"/pinrotate S1 {bad}"
        )
    assert "no session 'S9'" in await event.reply_text(ORGANISER, "/pinrotate S9 60")
    assert "Usage: /pinrotate" in await event.reply_text(ORGANISER, "/pinrotate S1")


async def test_the_sessions_file_can_turn_rotation_on(event):
    agenda = (
        "session_id,title,starts_at,ends_at,pin_rotation_seconds\n"
        "S1,Opening keynote,2026-05-14 09:00,2026-05-14 10:00,30\n"
        "S2,Workshop: Rust,2026-05-14 10:30,2026-05-14 12:00,\n"
    )
    calls = await event.send_document(ORGANISER, agenda.encode(), "s.csv")
    assert calls[-1].text == "✅ s.csv: imported 2 sessions."
    assert await event.rows("SELECT session_id, pin_rotation_seconds FROM sessions ORDER BY 1") == [
        ("S1", 30),
        ("S2", None),
        ("S3", None),
    ]
    bad = agenda.replace(",30\n", ",2\n")
    calls = await event.send_document(ORGANISER, bad.encode(), "bad.csv")
    assert "pin_rotation_seconds '2' should be 10 to 3600 seconds" in calls[-1].text
