import pytest

from tests.harness import ORGANISER, BotHarness

SESSIONS_CSV = """session_id,title,starts_at,ends_at,room,capacity,access_control,targets,pin_in,pin_out
S1,Opening keynote,2026-05-14 09:00,2026-05-14 10:00,Main hall,,no,,KEY1IN,KEY1OUT
S2,Workshop: Rust,2026-05-14 10:30,2026-05-14 12:00,Room B,2,yes,track-rust,RUST2IN,RUST2OUT
S3,Lunch talk,2026-05-14 12:30,2026-05-14 13:30,Room C,,no,,,
"""
ATTENDEES_CSV = """attendee_id,name,email,groups,telegram
REG-1,Ada Lovelace,ada@example.org,speaker;track-rust,@ada_l
REG-2,Bob Builder,bob@example.org,,
REG-3,Cleo Patra,cleo@example.org,track-rust,333
"""
REGISTRATIONS_CSV = """attendee_id,session_id
REG-1,S1
REG-1,S2
REG-2,S1
"""


@pytest.fixture
async def harness(tmp_path):
    h = await BotHarness(tmp_path).start()
    yield h
    await h.stop()


@pytest.fixture
async def event(harness):
    """A harness with the sample event imported by the organiser."""
    for name, content in (
        ("sessions.csv", SESSIONS_CSV),
        ("attendees.csv", ATTENDEES_CSV),
        ("registrations.csv", REGISTRATIONS_CSV),
    ):
        calls = await harness.send_document(ORGANISER, content.encode(), name)
        # "✅ sessions.csv: imported 2 sessions.": a refusal says "nothing was imported".
        assert calls[-1].text.startswith(f"✅ {name}: imported "), calls[-1].text
    return harness
