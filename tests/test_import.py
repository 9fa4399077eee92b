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


# ---------------------------------------------------------------- data must never be dropped silently

EXCEL_HEADER = "attendee_id;name;email;groups;telegram"


def excel_csv(*lines: str) -> bytes:
    """A semicolon-separated file as Excel writes it in many European locales: a UTF-8 BOM, CRLF."""
    return "\ufeff".encode() + "\r\n".join(lines).encode() + b"\r\n"


async def groups_of(h, attendee_id: str) -> list[str]:
    rows = await h.rows("SELECT group_name FROM attendee_groups WHERE attendee_id = ? ORDER BY 1", (attendee_id,))
    return [r[0] for r in rows]


async def test_unquoted_list_separator_in_a_cell_is_refused_with_the_fix(event):
    before = await counts(event)
    data = excel_csv(EXCEL_HEADER, "REG-7;Gus;gus@example.org;workshop;speakers;", "REG-8;Hal;hal@example.org;;")
    reply = await upload(event, data, "attendees.csv")
    assert "nothing was imported" in reply, reply
    assert (
        "Row 2: more fields than the header row has columns (6 instead of 5): a cell holds the separator ';'. "
        "Put that cell in double quotes, or write lists (groups, targets) with ',' between the names." in reply
    ), reply
    assert "Row 3" not in reply  # one trailing empty field is harmless
    assert await counts(event) == before


async def test_list_cells_take_a_comma_or_a_quoted_semicolon(event):
    data = excel_csv(EXCEL_HEADER, "REG-7;Gus;;workshop,speakers;", 'REG-8;Hal;;"workshop;speakers";')
    assert "imported 2 attendees" in await upload(event, data, "attendees.csv")
    assert await groups_of(event, "REG-7") == ["speakers", "workshop"]
    assert await groups_of(event, "REG-8") == ["speakers", "workshop"]


async def test_trailing_empty_fields_as_excel_writes_them_are_harmless(event):
    # Excel pads every row, the header row too, to its used range: the empty fields hold nothing.
    data = excel_csv(EXCEL_HEADER + ";;", "REG-7;Gus;;workshop;;;", "REG-8;Hal;;;;;")
    assert "imported 2 attendees" in await upload(event, data, "attendees.csv")
    assert await groups_of(event, "REG-7") == ["workshop"]


async def test_value_under_an_unnamed_header_field_is_refused(event):
    reply = await upload(event, excel_csv(EXCEL_HEADER + ";;", "REG-7;Gus;;workshop;;;speakers"), "a.csv")
    assert "Row 2: cell G2 ('speakers') is to the right of the last column of the header row" in reply, reply


async def test_comma_file_takes_semicolons_in_list_cells(event):
    reply = await upload(event, "attendee_id,name,groups\nREG-7,Gus,workshop;speakers\n", "attendees.csv")
    assert "imported 1 attendee" in reply
    assert await groups_of(event, "REG-7") == ["speakers", "workshop"]


async def test_row_with_fewer_fields_than_the_header_is_refused(event):
    before = await counts(event)
    reply = await upload(event, excel_csv(EXCEL_HEADER, "REG-7;Gus;;;", "REG-8;Hal"), "attendees.csv")
    assert (
        "Row 3: fewer fields than the header row has columns (2 instead of 5): a separator ';' is missing. "
        "Every row needs one field per column, even when it is empty." in reply
    ), reply
    assert "Row 2" not in reply
    assert await counts(event) == before


async def test_blank_lines_are_skipped_and_rows_keep_their_numbers(event):
    reply = await upload(event, excel_csv(EXCEL_HEADER, "", "REG-7;Gus;;;", ";;;;", "REG-8;;;;"), "attendees.csv")
    assert "Row 5: name is empty" in reply, reply
    assert "Row 2" not in reply and "Row 3" not in reply and "Row 4" not in reply


def xlsx(*rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_xlsx_cell_beyond_the_header_is_refused(event):
    before = await counts(event)
    data = xlsx(("attendee_id", "name", "groups"), ("REG-7", "Gus", "workshop", "speakers"), ("REG-8", "Hal"))
    reply = await upload(event, data, "attendees.xlsx")
    assert (
        "Row 2: cell D2 ('speakers') is to the right of the last column of the header row: "
        "give its column a name in row 1, or move the value into the right column." in reply
    ), reply
    assert "Row 3" not in reply  # an XLSX row may be shorter than the header
    assert await counts(event) == before


async def test_xlsx_empty_cells_beyond_the_header_are_harmless(event):
    data = xlsx(("attendee_id", "name", "groups", None), ("REG-7", "Gus", "workshop", None, ""))
    assert "imported 1 attendee" in await upload(event, data, "attendees.xlsx")


async def test_header_with_a_duplicated_column_is_refused(event):
    before = await counts(event)
    reply = await upload(event, "attendee_id,name,groups,Groups\nREG-7,Gus,workshop,speakers\n", "a.csv")
    assert "Row 1: column groups appears twice (columns 3 and 4): keep only one of them." in reply, reply
    assert await counts(event) == before


async def test_unknown_columns_may_repeat(event):
    reply = await upload(event, "attendee_id,name,note,note\nREG-7,Gus,a,b\n", "a.csv")
    assert "imported 1 attendee" in reply, reply


async def test_file_with_only_a_header_row_is_refused(event):
    reply = await upload(event, excel_csv(EXCEL_HEADER, ";;;;"), "attendees.csv")
    assert (
        "attendees.csv has only a header row: add one row per session, attendee or registration below it." in reply
    ), reply


async def test_database_and_row_problems_come_in_one_answer_in_row_order(event):
    reply = await upload(
        event,
        "session_id,title,starts_at,ends_at,pin_in\n"
        "S8,A,2026-05-14 09:00,2026-05-14 10:00,abc123\n"
        "S9,B,2026-05-14 09:00,2026-05-14 10:00,KEY1IN\n"
        "S10,,2026-05-14 09:00,2026-05-14 10:00,\n",
        "s.csv",
    )
    lines = reply.splitlines()
    assert lines[1].startswith("• Row 2: pin_in: PIN 'abc123'"), reply
    assert lines[2] == "• Row 3: PIN KEY1IN is already used by session S1", reply
    assert lines[3] == "• Row 4: title is empty", reply
    assert (await event.rows("SELECT COUNT(*) FROM sessions"))[0][0] == 3


async def test_unknown_session_and_empty_cell_in_registrations_come_together(event):
    before = await counts(event)
    reply = await upload(event, "attendee_id,session_id\nREG-1,S404\n,S1\nREG-1,S1\nREG-2,S1\n", "r.csv")
    lines = reply.splitlines()
    assert lines[1:] == [
        "• Row 2: unknown session 'S404' (import sessions first)",
        "• Row 3: attendee_id is empty",
    ], reply
    assert await counts(event) == before


async def test_same_attendee_twice_and_unknown_attendee_in_one_answer(event):
    reply = await upload(event, "attendee_id,session_id\nREG-404,S1\nREG-1,S1\nreg-1,s1\n", "r.csv")
    assert reply.splitlines()[1:] == ["• Row 2: unknown attendee 'REG-404' (import attendees first)"], reply


async def test_long_problem_list_is_capped_in_row_order(tmp_path):
    from bot import chat_texts
    from bot.services import imports
    from tests.service_event import sample_event

    lines = ["attendee_id,session_id"]
    for n in range(2, 22):
        lines.append(f"REG-1,S{n}00" if n % 2 else f",S{n}")  # unknown sessions and empty cells, interleaved
    async with sample_event(tmp_path, clock=lambda: datetime(2026, 5, 14)) as ctx:
        report = await imports.import_file(ctx, "\n".join(lines).encode(), "r.csv")
    text = chat_texts.import_report(report).splitlines()
    assert [line.split(":")[0] for line in text[1:16]] == [f"• Row {n}" for n in range(2, 17)], text
    assert text[16] == "… and 5 more."
