"""`python -m demo`: the scripted event, rehearsed against the real bot process,
and the organiser's reports read back to check they tell the same story."""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.domain.pins import GENERATED_ALPHABET
from demo import run_demo
from demo.run import prepare
from demo.stage import DemoError, Person, Stage, Transcript
from rehearsal.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
DORA = "@door_dora"
# (session, attendee) -> (method, scanned by Dora, registered, override): what the script plays.
EXPECTED_CHECKINS = {
    ("S1", "REG-001"): ("pin", False, "yes", "no"),  # Amara, upper-case PIN
    ("S1", "REG-002"): ("shortlink", False, "yes", "no"),  # Ben, the poster's QR code
    ("S1", "REG-003"): ("pin", False, "yes", "no"),  # Chloé, lower-case PIN after her invite link
    ("S0", "REG-005"): ("pin", False, "no", "no"),  # Elena, the two-minute safety briefing (credits)
    ("S2", "REG-004"): ("scan", True, "yes", "no"),  # Daniel, photo of /badge on his phone
    ("S2", "REG-009"): ("scan", True, "no", "yes"),  # Ines, printed badge: RED, then Admit anyway
    ("S2", "REG-007"): ("manual", True, "yes", "no"),  # Grace, id typed by Dora
    ("S3", "REG-002"): ("pin", False, "yes", "no"),  # Ben
    ("S3", "REG-005"): ("pin", False, "yes", "no"),  # Elena, linked by numeric Telegram id
}


def read_sheet(path: Path, title: str) -> list[dict[str, object]]:
    """Rows as {header: value}; headers naming a time zone are keyed by the words before it."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(workbook[title].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [h.split(" (Europe/Paris")[0] for h in rows[0]]
    # Write-only XLSX stores no empty cells, so a row may end early: pad it.
    return [dict(zip(header, tuple(row) + (None,) * (len(header) - len(row)), strict=True)) for row in rows[1:]]


HEADING = re.compile(r"^── (?:(\d\d:\d\d) · )?(.*?) ─+$")
SLOT = re.compile(r"\b(S\d+) [^·]*?(\d\d:\d\d)–(\d\d:\d\d)")
# The moment a check-in or check-out was recorded, as the bot's replies show it (the real clock):
# the answer to the attempt itself, and lists of earlier ones (/session's last check-ins, /myattendance).
RECORDED_NOW = re.compile(r"Checked (?:in to|out of) .* at (\d\d:\d\d)\.")
RECORDED_BEFORE = (
    re.compile(r"^\s+• (\d\d:\d\d) "),
    re.compile(r", (\d\d:\d\d) — (?:in|out) "),
    re.compile(r"Already checked in since (\d\d:\d\d)"),  # the Mini App's card
)


def transcript_disagreements(transcript: str, agenda: dict[str, tuple[str, str]], end: str) -> list[str]:
    """Where the transcript's scene headings disagree with the bot's replies: each heading gives the
    time its scene began, so every check-in the bot answers in the scene was recorded between that time
    and the next heading's (or `end`), and every one it lists, between the first heading and then; a
    session's times in a heading are those of the agenda the bot imported."""
    scenes: list[tuple[str | None, str, list[str]]] = []
    for line in transcript.splitlines():
        heading = HEADING.match(line)
        if heading:
            scenes.append((heading.group(1), heading.group(2), []))
        elif scenes:
            scenes[-1][2].append(line)
    problems = []
    for number, (begun, title, lines) in enumerate(scenes):
        if begun is None:
            problems.append(f"{title!r}: no time in the heading")
            continue
        until = next((later for later, _, _ in scenes[number + 1 :] if later), end)
        for slot in SLOT.finditer(title):
            if agenda.get(slot.group(1)) != (slot.group(2), slot.group(3)):
                problems.append(f"{begun} {title!r}: the agenda has {slot.group(1)} at {agenda.get(slot.group(1))}")
        first = scenes[0][0] or begun
        for line in lines:
            recorded = [(at, begun) for at in RECORDED_NOW.findall(line)]
            recorded += [(at, first) for pattern in RECORDED_BEFORE for at in pattern.findall(line)]
            for at, earliest in recorded:
                if not earliest <= at <= until:
                    problems.append(f"{begun} {title!r}: a reply says {at}: {line.strip()}")
    return problems


def readme_demo_files() -> list[str]:
    """The names in the first column of the README's table of what the demo writes."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Try it without Telegram", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])]


def listed(path: str, name: str) -> bool:
    """Whether a file the demo wrote (relative, with /) is the README's `name`: a folder (`photos/`),
    or a file name whose `<placeholders>` stand for any text."""
    if name.endswith("/"):
        return path.startswith(name)
    pattern = "[^/]+".join(re.escape(part) for part in re.split(r"<[^>]+>", name))
    return re.fullmatch(pattern, path) is not None


def uploaded_agenda(output_dir: Path) -> dict[str, tuple[str, str]]:
    """{session: (start, end)} of the agenda the demo sent the bot (the sample moved to today)."""
    with (output_dir / "uploads" / "sessions.csv").open(encoding="utf-8") as rows:
        return {r["session_id"]: (r["starts_at"][-5:], r["ends_at"][-5:]) for r in csv.DictReader(rows)}


def local_now() -> datetime:
    return datetime.now(PARIS).replace(tzinfo=None)


def test_the_demo_rehearses_the_event_and_the_reports_tell_the_same_story(tmp_path):
    before = local_now().replace(microsecond=0)
    result = run_demo(tmp_path / "demo-output", quiet=True)
    after = local_now() + timedelta(seconds=1)
    assert result.ok, f"{result.error}\n\n" + (tmp_path / "demo-output" / "transcript.txt").read_text("utf-8")
    assert result.bot_exit_code == 0 and result.steps >= 30

    assert result.pins["S1"] == ("OPEN26", "BYE26")  # from the sessions file
    for session in ("S2", "S3", "S4", "S5", "S6"):  # from /genpins new
        # (Drawn from GENERATED_ALPHABET: all digits now and then, which `isupper` took for a failure.)
        assert all(len(pin) == 6 and set(pin) <= set(GENERATED_ALPHABET) for pin in result.pins[session])

    checkins = read_sheet(result.files["checkins_report"], "Check-ins")
    got = {
        (r["Session id"], r["Attendee id"]): (r["Method"], DORA in (r["Scanner"] or ""), r["Registered"], r["Override"])
        for r in checkins
    }
    assert got == EXPECTED_CHECKINS and len(checkins) == len(EXPECTED_CHECKINS)
    for row in checkins:  # the real clock, shown in the event's time zone
        assert before <= row["Check-in time"] <= after, row
    # The sample agenda (11 June, 09:00) is moved to today, the keynote starting 15 minutes before the run.
    starts = {r["Session id"]: r["Session start"] for r in checkins}
    keynote = starts["S1"]
    assert before - timedelta(minutes=17) <= keynote <= after - timedelta(minutes=14), keynote
    assert starts == {
        "S1": keynote,
        "S0": keynote + timedelta(minutes=16),
        "S2": keynote + timedelta(hours=1),
        "S3": keynote + timedelta(hours=1),
    }
    names = {r["Attendee id"]: r["Name"] for r in checkins}
    assert names["REG-003"] == "Chloé Dubois" and names["REG-009"] == "Ines Silva"

    refused = read_sheet(result.files["checkins_report"], "Refused attempts")
    assert {(r["Session id"], r["Attendee id"], r["Method"], r["Reason"], r["Overridden"]) for r in refused} == {
        ("S2", "REG-009", "scan", "not_registered", "yes"),  # access control, then Admit anyway
        ("S3", "REG-006", "pin", "session_full", "no"),  # Farid, third for two places
        ("S5", "REG-006", "pin", "too_early", "no"),  # Farid again, the afternoon panel's PIN hours early
    }
    transcript = (result.output_dir / "transcript.txt").read_text("utf-8")
    assert "⏳ Too early: attendance for S5" in transcript
    # The room change reaches the workshop's registered people on Telegram, except Daniel, who muted it.
    assert "Send this announcement to 2 people" in transcript
    assert transcript.count("The workshop continues in Room 4") == 4  # what Olga typed, the preview, Amara, Chloé
    assert "Daniel Kim (attendee) ◂ (nothing)" in transcript and "2 sent · 0 waiting" in transcript

    checkouts = read_sheet(result.files["checkouts_report"], "Check-outs")
    left = [r for r in checkouts if r["Check-out time"] is not None]
    assert [(r["Session id"], r["Attendee id"], r["Ended by"], r["Note"]) for r in left] == [
        ("S1", "REG-001", "out_pin", None)
    ]  # Amara's OUT PIN
    amara = left[0]
    assert before <= amara["Check-in time"] <= amara["Check-out time"] <= after
    assert amara["Minutes attended"] == 0  # seconds apart: a whole number of minutes, rounded
    assert {(r["Session id"], r["Attendee id"]) for r in checkouts} == set(EXPECTED_CHECKINS)
    assert all(r["Ended by"] == "open" for r in checkouts if r is not amara)  # no session has ended yet

    with zipfile.ZipFile(result.files["shortlink_qr_zip"]) as posters:
        assert posters.namelist() == ["SL001.png"]
    with zipfile.ZipFile(result.files["badges_zip"]) as badges:
        assert len(badges.namelist()) == 10 and "badge-REG-009.png" in badges.namelist()
    pdf = result.files["badges_pdf"].read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2

    transcript = result.files["transcript"].read_text("utf-8")
    for line in (
        "Olga Martin (organiser) ▸ /genpins new",
        "Dora Diaz (door scanner) ▸ taps [Admit anyway]",
        "Chloé Dubois (attendee) ▸ open26",
        "✓ Rehearsal complete",
    ):
        assert line in transcript
    assert "Traceback" not in result.files["bot_log"].read_text("utf-8")
    # The morning ends with the certificates: one issued (Elena, the only one in the ended briefing), fetched.
    assert "1 issued now" in transcript
    certificate = result.files["certificate_pdf"]
    assert certificate.name.startswith("certificate-") and b"/ByteRange" in certificate.read_bytes()

    # The scene headings tell the same times as the bot: the real clock, and the agenda moved to today.
    agenda = uploaded_agenda(result.output_dir)
    assert transcript_disagreements(transcript, agenda, after.strftime("%H:%M")) == []
    assert "{}–{} · Room B".format(*agenda["S2"]) in transcript  # the bot's own /session S2
    # Every file the demo wrote is in the README's table, and the table names nothing it did not write.
    written = sorted(p.relative_to(result.output_dir).as_posix() for p in result.output_dir.rglob("*") if p.is_file())
    names = readme_demo_files()
    assert [path for path in written if not any(listed(path, name) for name in names)] == []

    from tests.browser import chromium_available

    if chromium_available():  # the door scene in the scanner Mini App, in headless Chromium
        assert "    page ▸ Checked in · Ines Silva" in transcript
        assert re.search(r"^    page ▸ Already checked in since \d\d:\d\d · Daniel Kim$", transcript, re.M)
        shots = sorted(p.name for p in (result.output_dir / "miniapp").iterdir())
        assert shots == ["1-sessions.png", "2-daniel.png", "3-ines.png", "4-daniel.png"]
        screens = sorted(p.name for p in (result.output_dir / "screens").iterdir())
        assert screens == [
            "certificate-verification.png",
            "dashboard-phone.png",
            "dashboard.png",
            "keynote-display-de.png",
            "keynote-display.png",
        ]
        assert [name for name in names if not any(listed(path, name) for path in written)] == []
    else:
        assert "Chromium is not installed here, so this scene is skipped" in transcript


def test_a_step_the_bot_does_not_answer_stops_the_demo_with_a_clear_message(tmp_path):
    class SilentBot:  # running, never answering
        exit_code = None

    organiser = Person(1, "Olga Martin", "organiser", "Olga")
    with BotApiEmulator() as api:
        stage = Stage(api, SilentBot(), Transcript(echo=False), tmp_path, step_timeout=1.0)
        with pytest.raises(
            DemoError,
            match=r"^Step 1 \(Olga Martin \(organiser\): /pins\): the bot did not "
            r"answer within 1 s$",
        ):
            stage.say(organiser, "/pins")


def test_the_demo_never_wipes_a_directory_it_did_not_make(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(DemoError, match="not empty and was not made by the demo"):
        prepare(tmp_path)
    assert (tmp_path / "thesis.tex").exists()

    output = tmp_path / "out"
    prepare(output)
    (output / "old-report.xlsx").write_bytes(b"from the last rehearsal")
    prepare(output)
    assert [p.name for p in output.iterdir()] == [".demo-output"]
