"""Importing organisers' files through the bot: good files, every kind of bad
file (nothing imported, row numbers reported), re-import, XLSX."""

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.harness import ORGANISER, User


async def counts(h):
    tables = ("sessions", "attendees", "registrations", "pins", "session_targets", "attendee_groups")
    return {t: (await h.rows(f"SELECT COUNT(*) FROM {t}"))[0][0] for t in tables}


async def upload(h, content: str | bytes, name: str) -> str:
    data = content.encode() if isinstance(content, str) else content
    calls = await h.send_document(ORGANISER, data, name)
    return calls[-1].text


async def test_sample_event_imports(event):
    assert await counts(event) == {
        "sessions": 3,
        "attendees": 3,
        "registrations": 3,
        "pins": 4,
        "session_targets": 1,
        "attendee_groups": 3,
    }
    rows = await event.rows("SELECT starts_at, capacity, access_control FROM sessions WHERE session_id = 'S2'")
    assert rows == [("2026-05-14T08:30:00.000000Z", 2, 1)]  # 10:30 Paris summer time


async def test_importing_twice_changes_nothing(event):
    before = await counts(event)
    snapshot = await event.rows("SELECT * FROM attendees ORDER BY attendee_id")
    for name, content in (("s.csv", SESSIONS_CSV), ("a.csv", ATTENDEES_CSV), ("r.csv", REGISTRATIONS_CSV)):
        assert "imported" in await upload(event, content, name)
    assert await counts(event) == before
    assert await event.rows("SELECT * FROM attendees ORDER BY attendee_id") == snapshot  # invite tokens kept


BAD_FILES = [
    (
        "missing column",
        "session_id,title,starts_at\nS9,Talk,2026-05-14 09:00\n",
        "does not match a sessions, attendees or registrations file",
    ),
    (
        "bad date",
        "session_id,title,starts_at,ends_at\nS9,Talk,2026-05-14 09:00,2026-05-14 10:00\n"
        "S10,Talk,2026-13-40 09:00,2026-05-14 10:00\n",
        "Row 3: '2026-13-40 09:00' is not a real date",
    ),
    (
        "end before start",
        "session_id,title,starts_at,ends_at\nS9,Talk,2026-05-14 11:00,2026-05-14 10:00\n",
        "Row 2: ends_at is before starts_at",
    ),
    (
        "duplicate id",
        "attendee_id,name\nREG-7,Gus\nREG-8,Hal\nreg-7,Gus again\n",
        "Row 4: duplicate id 'REG-7' (first on row 2)",
    ),
    (
        "lower-case PIN",
        "session_id,title,starts_at,ends_at,pin_in\nS9,Talk,2026-05-14 09:00,2026-05-14 10:00,abc123\n",
        "Row 2: pin_in: PIN 'abc123' may contain only upper-case letters",
    ),
    (
        "PIN used twice",
        "session_id,title,starts_at,ends_at,pin_in\nS9,A,2026-05-14 09:00,2026-05-14 10:00,SAME1\n"
        "S10,B,2026-05-14 09:00,2026-05-14 10:00,SAME1\n",
        "Row 3: PIN SAME1 is also used on row 2",
    ),
    ("unknown session", "attendee_id,session_id\nREG-1,S1\nREG-2,S404\n", "Row 3: unknown session 'S404'"),
    ("unknown attendee", "attendee_id,session_id\nREG-404,S1\n", "Row 2: unknown attendee 'REG-404'"),
    ("bad telegram", "attendee_id,name,telegram\nREG-9,Ivy,not a handle\n", "Row 2: telegram 'not a handle'"),
    ("not a spreadsheet", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "is not UTF-8 text"),
    ("empty", "", "is empty"),
]


@pytest.mark.parametrize("label,content,message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
async def test_bad_file_imports_nothing(event, label, content, message):
    before = await counts(event)
    reply = await upload(event, content, "bad.csv")
    assert "nothing was imported" in reply and message in reply, reply
    assert await counts(event) == before


async def test_pin_already_used_by_another_session_is_refused(event):
    reply = await upload(
        event,
        "session_id,title,starts_at,ends_at,pin_in\nS3,Lunch talk,2026-05-14 12:30,2026-05-14 13:30,KEY1IN\n",
        "s.csv",
    )
    assert "Row 2: PIN KEY1IN is already used by session S1" in reply
    assert (await event.rows("SELECT COUNT(*) FROM pins WHERE session_id = 'S3'")) == [(0,)]


async def test_xlsx_with_real_date_cells_and_unknown_columns(harness):
    wb = Workbook()
    ws = wb.active
    ws.append(["Session ID", "Title", "Starts at", "Ends at", "Capacity", "Colour"])
    ws.append(["X1", "Data day", datetime(2026, 5, 14, 9, 0), datetime(2026, 5, 14, 17, 0), 40, "blue"])
    ws.append(["X2", "Offset given", "2026-05-14T09:00:00+00:00", "2026-05-14 12:00", None, ""])
    buf = io.BytesIO()
    wb.save(buf)
    reply = await upload(harness, buf.getvalue(), "agenda.xlsx")
    assert "imported 2 sessions" in reply
    assert await harness.rows("SELECT session_id, starts_at, capacity FROM sessions ORDER BY session_id") == [
        ("X1", "2026-05-14T07:00:00.000000Z", 40),
        ("X2", "2026-05-14T09:00:00.000000Z", None),
    ]


async def test_non_admin_file_is_refused_and_not_imported(harness):
    calls = await harness.send_document(User(777, "Mallory"), SESSIONS_CSV.encode(), "s.csv")
    assert "organisers only" in calls[-1].text
    assert (await counts(harness))["sessions"] == 0


async def test_command_line_import_in_dependency_order(tmp_path, monkeypatch):
    from admin_commands.__main__ import run

    for name, content in (("r.csv", REGISTRATIONS_CSV), ("a.csv", ATTENDEES_CSV), ("s.csv", SESSIONS_CSV)):
        (tmp_path / name).write_text(content)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.db"))
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    files = [str(tmp_path / n) for n in ("r.csv", "a.csv", "s.csv")]
    assert await run(["import", *files]) == 0
    assert await run(["genpins", "new"]) == 0
    assert await run(["setpin", "S3", "abc"]) == 1
