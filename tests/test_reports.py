"""Organiser views and attendance reports, driven through the real bot.

The scenario (clock starts 08:00 UTC = 10:00 in Europe/Paris):
Ada checks in and out of S1 twice (30 + 15 minutes); Bob checks in and is
undone; Dan checks out without a check-in and types a wrong PIN; Eve, imported
with a formula as her name, checks in and never out; Cleo is refused at S2 and
let in by a scanner's override.
"""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from bot.domain.report_rows import Movement
from bot.files.report_writer import (
    NOTE_NO_CHECK_IN,
    Visit,
    offset_label,
    pair_visits,
    time_label,
)
from bot.services import reports
from bot.services.errors import OrganiserError, Problem
from bot.storage import attendance_log
from bot.storage.records import LogEntry
from tests.harness import ORGANISER, User

ADA = User(501, "Ada", "ada_l")
BOB = User(502, "Bob")
CLEO = User(333, "Cleo")
EVE = User(504, "Eve", "eve_x")
DAN = User(505, "Dan")
SAM = User(600, "Sam", "sam_door")
EVIL_NAME = '=HYPERLINK("http://x")'
EVE_CSV = 'attendee_id,name,email,groups,telegram\nREG-9,"=HYPERLINK(""http://x"")",+eve@example.org,,@eve_x\n'
PARIS = "Europe/Paris, UTC+02:00"  # what the column headers say about their times


def local(hour: int, minute: int) -> datetime:
    return datetime(2026, 5, 14, hour, minute)


@pytest.fixture
async def bot(event):
    return event


async def log_id(bot, sql: str) -> int:
    return (await bot.rows(f"SELECT id FROM attendance_log WHERE {sql} ORDER BY id DESC LIMIT 1"))[0][0]


@pytest.fixture
async def scenario(bot):
    calls = await bot.send_document(ORGANISER, EVE_CSV.encode(), "eve.csv")
    assert "imported 1" in calls[-1].text
    await bot.send(SAM, "/start")
    assert "Checked in" in await bot.reply_text(ADA, "KEY1IN")
    assert "Checked in" in await bot.reply_text(BOB, "KEY1IN")
    assert "no check-in" in await bot.reply_text(DAN, "KEY1OUT")
    assert "doesn't match" in await bot.reply_text(DAN, "WRONG1")
    bot.clock.advance(minutes=30)
    assert "Checked out" in await bot.reply_text(ADA, "KEY1OUT")
    bot.clock.advance(minutes=10)
    assert "Checked in" in await bot.reply_text(ADA, "KEY1IN")
    assert "Checked in" in await bot.reply_text(EVE, "KEY1IN")
    assert "only open to registered" in await bot.reply_text(CLEO, "RUST2IN")
    bot.clock.advance(minutes=15)
    assert "Checked out" in await bot.reply_text(ADA, "KEY1OUT")
    refused = await log_id(bot, "attendee_id = 'REG-3' AND accepted = 0")
    bob_in = await log_id(bot, "attendee_id = 'TG-502'")

    def override_and_undo(conn) -> None:
        override = attendance_log.insert_log(
            conn,
            LogEntry(
                at=bot.clock(),
                direction="IN",
                method="scan",
                accepted=True,
                reason="ok",
                attendee_id="REG-3",
                session_id="S2",
                override=True,
                registered=False,
                targeted=True,
                actor_user_id=SAM.id,
                scanner_user_id=SAM.id,
                ref_id=refused,
            ),
        )
        attendance_log.set_presence(conn, "REG-3", "S2", "IN", override)
        attendance_log.insert_log(
            conn,
            LogEntry(
                at=bot.clock(),
                direction="UNDO",
                method="pin",
                accepted=True,
                reason="ok",
                attendee_id="TG-502",
                session_id="S1",
                actor_user_id=ORGANISER.id,
                ref_id=bob_in,
            ),
        )
        attendance_log.recompute_presence(conn, "TG-502", "S1")

    await bot.db.write(override_and_undo)
    return bot


async def report(bot, user: User, text: str):
    """The document the bot sent for a /report command, and its caption."""
    calls = await bot.send(user, text)
    documents = [c for c in calls if c.method == "sendDocument"]
    assert len(documents) == 1, [c.text for c in calls]
    assert any(c.method == "sendChatAction" and c.params.get("action") == "upload_document" for c in calls)
    name, data = documents[0].file()
    return name, data, documents[0].text


def sheet_rows(data: bytes, title: str) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[title].iter_rows(values_only=True))


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


CHECKIN_HEADER = (
    "Session id",
    "Title",
    f"Session start ({PARIS})",
    "Attendee id",
    "Name",
    "Email",
    f"Check-in time ({PARIS})",
    "Method",
    "Scanner",
    "Registered",
    "Targeted",
    "Override",
)
EXPECTED_CHECKINS = [
    (
        "S1",
        "Opening keynote",
        local(9, 0),
        "REG-1",
        "Ada Lovelace",
        "ada@example.org",
        local(10, 0),
        "pin",
        None,
        "yes",
        "no",
        "no",
    ),
    (
        "S1",
        "Opening keynote",
        local(9, 0),
        "REG-1",
        "Ada Lovelace",
        "ada@example.org",
        local(10, 40),
        "pin",
        None,
        "yes",
        "no",
        "no",
    ),
    (
        "S1",
        "Opening keynote",
        local(9, 0),
        "REG-9",
        "'" + EVIL_NAME,
        "'+eve@example.org",
        local(10, 40),
        "pin",
        None,
        "no",
        "no",
        "no",
    ),
    (
        "S2",
        "Workshop: Rust",
        local(10, 30),
        "REG-3",
        "Cleo Patra",
        "cleo@example.org",
        local(10, 55),
        "scan",
        "Sam (@sam_door)",
        "no",
        "yes",
        "yes",
    ),
]
CHECKOUT_HEADER = (
    "Session id",
    "Title",
    f"Session start ({PARIS})",
    "Attendee id",
    "Name",
    "Email",
    f"Check-in time ({PARIS})",
    f"Check-out time ({PARIS})",
    f"Visit ended ({PARIS})",
    "Ended by",
    "Minutes attended",
    "Session total (minutes)",
    "Note",
)
# One row per visit, by person. S1 ends at 10:00, when the scenario's doors open: every S1 visit
# ends at the session's end with no minutes inside it, and a check-out sent later is shown, not
# counted (tests/test_attendance_time.py has visits inside their sessions).
ADA_AT_S1 = ("S1", "Opening keynote", local(9, 0), "REG-1", "Ada Lovelace", "ada@example.org")
EXPECTED_CHECKOUTS = [
    (*ADA_AT_S1, local(10, 0), local(10, 30), local(10, 0), "session_end", 0, 0, None),
    (*ADA_AT_S1, local(10, 40), local(10, 55), local(10, 40), "session_end", 0, 0, None),
    (
        "S2",
        "Workshop: Rust",
        local(10, 30),
        "REG-3",
        "Cleo Patra",
        "cleo@example.org",
        local(10, 55),
        None,
        None,
        "open",
        None,
        None,
        None,
    ),
    (
        "S1",
        "Opening keynote",
        local(9, 0),
        "REG-9",
        "'" + EVIL_NAME,
        "'+eve@example.org",
        local(10, 40),
        None,
        local(10, 40),
        "session_end",
        0,
        0,
        None,
    ),
    (
        "S1",
        "Opening keynote",
        local(9, 0),
        "TG-505",
        "Dan",
        None,
        None,
        local(10, 0),
        None,
        None,
        None,
        None,
        NOTE_NO_CHECK_IN,
    ),
]
EXPECTED_REFUSED = [
    (local(10, 0), None, None, "TG-505", "Dan", "IN", "pin", "unknown_pin", None, "no", "WRONG1"),
    (local(10, 40), "S2", "Workshop: Rust", "REG-3", "Cleo Patra", "IN", "pin", "not_registered", None, "yes", None),
]


async def effective_checkins_in_db(bot) -> list[tuple]:
    """Straight from the log, without the report's SQL: accepted INs minus those an UNDO row annuls."""
    log = await bot.rows("SELECT id, attendee_id, session_id, direction, accepted, at, ref_id FROM attendance_log")
    undone = {ref for (_, _, _, direction, _, _, ref) in log if direction == "UNDO"}
    return sorted(
        (session, attendee, at)
        for (id_, attendee, session, direction, accepted, at, _) in log
        if direction == "IN" and accepted and id_ not in undone
    )


async def test_checkins_xlsx_matches_the_database(scenario):
    name, data, caption = await report(scenario, ORGANISER, "/report checkins")
    assert name == "checkins-20260514-1055.xlsx"
    assert "4 rows." in caption and "Europe/Paris (UTC+02:00)" in caption
    rows = sheet_rows(data, "Check-ins")
    assert rows[0] == CHECKIN_HEADER
    assert rows[1:] == EXPECTED_CHECKINS
    from_db = await effective_checkins_in_db(scenario)
    utc = [(r[0], r[3], r[6].replace(tzinfo=timezone(timedelta(hours=2))).astimezone(UTC)) for r in rows[1:]]
    assert sorted((s, a, at.strftime("%Y-%m-%dT%H:%M")) for s, a, at in utc) == sorted(
        (s, a, at[:16]) for s, a, at in from_db
    )
    assert not any("TG-502" in str(r) for r in rows), "an undone check-in is not attendance"
    assert sheet_rows(data, "Refused attempts")[1:] == EXPECTED_REFUSED


async def test_checkins_xlsx_layout(scenario):
    _, data, _ = await report(scenario, ORGANISER, "/report checkins")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Check-ins", "Refused attempts"]
    sheet = book["Check-ins"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L5"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["G2"].is_date and sheet["C2"].is_date
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width
    assert sheet["E4"].data_type == "s", "the formula is stored as text"


async def test_checkouts_xlsx_pairs_and_flags(scenario):
    name, data, _caption = await report(scenario, ORGANISER, "/report checkouts")
    assert name.startswith("checkouts-") and name.endswith(".xlsx")
    rows = sheet_rows(data, "Check-outs")
    assert rows[0] == CHECKOUT_HEADER
    assert rows[1:] == EXPECTED_CHECKOUTS
    assert sheet_rows(data, "Refused attempts")[1:] == EXPECTED_REFUSED


def as_csv(row: tuple) -> list[str]:
    return ["" if v is None else v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else str(v) for v in row]


async def test_csv_reports_hold_the_same_rows(scenario):
    name, data, caption = await report(scenario, ORGANISER, "/report checkins csv")
    assert name.endswith(".csv") and "XLSX version" in caption
    assert csv_rows(data) == [list(CHECKIN_HEADER)] + [as_csv(r) for r in EXPECTED_CHECKINS]
    _, data, _ = await report(scenario, ORGANISER, "/report CHECKOUTS CSV")
    assert csv_rows(data) == [list(CHECKOUT_HEADER)] + [as_csv(r) for r in EXPECTED_CHECKOUTS]


async def test_empty_event_gets_a_valid_file_and_a_note(bot):
    _, data, caption = await report(bot, ORGANISER, "/report checkins")
    assert "none recorded yet" in caption
    assert sheet_rows(data, "Check-ins") == [CHECKIN_HEADER]
    assert sheet_rows(data, "Refused attempts")[1:] == []
    _, data, caption = await report(bot, ORGANISER, "/report checkouts csv")
    assert "none recorded yet" in caption
    assert csv_rows(data) == [list(CHECKOUT_HEADER)]


async def test_walk_in_with_formula_name_and_control_characters(bot):
    await bot.send(User(700, '=HYPERLINK("http://x")\x07', "mallory"), "KEY1IN")
    _, data, _ = await report(bot, ORGANISER, "/report checkins")
    assert sheet_rows(data, "Check-ins")[1][4] == "'" + EVIL_NAME
    _, data, _ = await report(bot, ORGANISER, "/report checkins csv")
    assert csv_rows(data)[1][4] == "'" + EVIL_NAME + "\x07"


async def test_report_usage_and_bad_kind(bot):
    assert "Usage: /report" in await bot.reply_text(ORGANISER, "/report")
    assert "no report 'visits'" in await bot.reply_text(ORGANISER, "/report visits")
    assert "Unknown format 'pdf'" in await bot.reply_text(ORGANISER, "/report checkins pdf")


@pytest.mark.parametrize("command", ["/report checkins", "/session S1", "/attendee REG-1"])
async def test_non_admins_are_refused(scenario, command):
    calls = await scenario.send(ADA, command)
    assert [c.method for c in calls] == ["sendMessage"]
    assert "organisers only" in calls[0].text


async def test_session_summary(scenario):
    text = await scenario.reply_text(ORGANISER, "/session s1")
    for line in (
        "S1 · Opening keynote",
        "Registered: 2",
        "Targeted: 0",
        "Checked in: 2",
        "Inside now: 1",
        "Checked out: 2",
        "Refused attempts: 0",
        "Capacity: none set",
    ):
        assert line in text, text
    assert text.index(EVIL_NAME) < text.index("Ada Lovelace"), "newest check-in first"
    text = await scenario.reply_text(ORGANISER, "/session S2")
    for line in (
        "Registered: 1",
        "Targeted: 2",
        "Checked in: 1",
        "Inside now: 1",
        "Refused attempts: 1",
        "Capacity: 2 · places left: 1",
        "10:55 Cleo Patra (REG-3, scan, override)",
    ):
        assert line in text, text


async def test_session_unknown_and_usage(bot):
    assert "There is no session 'S99'" in await bot.reply_text(ORGANISER, "/session S99")
    assert "Usage: /session" in await bot.reply_text(ORGANISER, "/session")


async def test_attendee_summary(scenario):
    text = await scenario.reply_text(ORGANISER, "/attendee @ada_l")
    assert "REG-1 · Ada Lovelace" in text
    assert "Groups: speaker, track-rust" in text
    assert "Registered sessions (2):\n• S1 · Opening keynote\n• S2 · Workshop: Rust" in text
    assert "• S1 · Opening keynote: Thu 14 May, 10:00 → 10:30, Thu 14 May, 10:40 → 10:55" in text
    text = await scenario.reply_text(ORGANISER, "/attendee TG-505")
    assert "(walk-in)" in text and "no check-in → 10:00" in text


async def test_attendee_several_matches_or_none(scenario):
    text = await scenario.reply_text(ORGANISER, "/attendee e")
    assert text.startswith("Several attendees match")
    assert "REG-1 · Ada Lovelace" in text and "REG-3 · Cleo Patra" in text
    assert "Send /attendee with one of these ids" in text
    assert "No attendee matches 'zzz'" in await scenario.reply_text(ORGANISER, "/attendee zzz")
    assert "Usage: /attendee" in await scenario.reply_text(ORGANISER, "/attendee")


async def test_find_attendee_summary_operation(scenario):
    lookup = await reports.find_attendee_summary(scenario.ctx, "cleo")
    assert lookup.summary.attendee.attendee_id == "REG-3"
    assert [s.session_id for s in lookup.summary.attended] == ["S2"]
    with pytest.raises(OrganiserError) as refused:
        await reports.find_attendee_summary(scenario.ctx, "  ")
    assert refused.value.problem is Problem.EMPTY_QUERY


async def test_the_command_line_writes_reports(scenario, tmp_path, monkeypatch, capsys):
    from admin_commands.__main__ import run

    monkeypatch.setenv("DATABASE_PATH", scenario.env["DATABASE_PATH"])
    monkeypatch.setenv("EVENT_TIMEZONE", scenario.env["EVENT_TIMEZONE"])
    assert await run(["report", "checkins", "-o", str(tmp_path)]) == 0
    written = [p for p in tmp_path.iterdir() if p.name.startswith("checkins-") and p.suffix == ".xlsx"]
    assert len(written) == 1 and f"Wrote {written[0]} (4 row(s))" in capsys.readouterr().out
    target = tmp_path / "out.csv"
    assert await run(["report", "checkouts", "--csv", "-o", str(target)]) == 0
    # The command line reads the real clock: once S2 is over, Cleo's visit has ended with it.
    expected = list(EXPECTED_CHECKOUTS)
    if datetime.now(UTC) >= datetime(2026, 5, 14, 10, 0, tzinfo=UTC):
        expected[2] = (*expected[2][:8], local(12, 0), "session_end", 65, 65, None)
    assert csv_rows(target.read_bytes())[1:] == [as_csv(r) for r in expected]


async def test_a_large_report_is_streamed_in_chunks(bot, monkeypatch):
    """More rows than one chunk: the thread/loop hand-over must not drop or repeat any."""
    from bot.storage import report_rows

    monkeypatch.setattr(report_rows, "CHUNK", 3)
    for n in range(10):
        await bot.send(User(800 + n, f"Walker {n}"), "KEY1IN")
    built = await reports.build_report(bot.ctx, "checkins", "csv")
    assert built.rows == 10
    assert [r[4] for r in csv_rows(built.data)[1:]] == [f"Walker {n}" for n in range(10)]


# ---------------------------------------------------------------- pure parts


def move(direction: str, minute: int) -> Movement:
    at = datetime(2026, 5, 14, 8, 0, tzinfo=UTC) + timedelta(minutes=minute)
    return Movement("S1", "T", at, "A", "N", "", direction, at)


def at(minute: int) -> datetime:
    return move("IN", minute).at


def test_pair_visits():
    assert pair_visits([move("IN", 0), move("OUT", 30), move("IN", 40), move("OUT", 55)]) == [
        Visit(at(0), at(30)),
        Visit(at(40), at(55)),
    ]
    assert pair_visits([move("OUT", 5), move("IN", 10)]) == [Visit(None, at(5)), Visit(at(10), None)]
    assert pair_visits([move("IN", 0), move("IN", 10), move("OUT", 20)]) == [Visit(at(0), at(20))]


def test_offset_label_names_both_offsets_across_a_clock_change():
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    may = datetime(2026, 5, 14, tzinfo=UTC)
    assert offset_label(paris, may, may + timedelta(days=3)) == "UTC+02:00"
    assert (
        offset_label(paris, datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC))
        == "UTC+01:00/UTC+02:00"
    )
    assert time_label(paris, "UTC+01:00/UTC+02:00") == "Europe/Paris" and (
        time_label(paris, "UTC+02:00") == "Europe/Paris, UTC+02:00"
    )
    assert offset_label(ZoneInfo("America/St_Johns"), may, may) == "UTC-02:30"
