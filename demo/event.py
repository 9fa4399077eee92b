"""The scripted event: Open Data Days 2026, one morning, played message by message.

The agenda, the participants and the registrations are the sample files in
`demo/samples/` — a template for a real event. Every PIN, invite link,
shortlink and badge code used below is read from what the bot itself sent
(its /pins message, its invite-link CSV, its QR images), never computed
beside it: the rehearsal only passes if an organiser could run the event
from the bot's answers alone.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.files.qr import decode_qr
from demo.photos import phone_screen_photo, printed_badge_photo
from demo.stage import EVENT_TIMEZONE, PUBLIC_URL, TOKEN, DemoError, Person, Stage
from tests.agenda import running_now, shifted_agenda
from tests.browser import chromium_available, open_browser, save_screenshot, telegram_stand_in
from tests.miniapp import init_data_for

SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_DAY = "2026-06-11"

# The people who write to the bot. Ines and Grace never do: Ines wears a
# printed badge, Grace left her phone at the hotel.
ORGANISER = Person(700000001, "Olga Martin", "organiser", "Olga", "olga_org")
SCANNER = Person(700000002, "Dora Diaz", "door scanner", "Dora", "door_dora")
AMARA = Person(700000011, "Amara Okafor", "speaker", "Amara", "amara_ok")
BEN = Person(700000012, "Ben Carter", "attendee", "Ben", "bencarter")
CHLOE = Person(700000013, "Chloé Dubois", "attendee", "Chloé")  # no @username: uses her invite link
DANIEL = Person(700000014, "Daniel Kim", "attendee", "Daniel", "dkim")
ELENA = Person(700000015, "Elena Rossi", "attendee", "Elena")  # imported by her numeric Telegram id
FARID = Person(700000016, "Farid Haddad", "attendee", "Farid", "farid_h")

PIN_LINE = re.compile(r"^• (\S+) .*: ([A-Z0-9]+|—) / ([A-Z0-9]+|—)$")


@dataclass(frozen=True)
class Slot:
    """A session of the agenda as the bot was given it (moved to today)."""

    session_id: str
    title: str
    room: str
    starts: str  # HH:MM, event time
    ends: str

    @property
    def heading(self) -> str:
        """`Main hall · S1 Opening keynote 11:41–12:26`: for a scene's heading."""
        return f"{self.room} · {self.session_id} {self.title.split(':')[0]} {self.starts}–{self.ends}"


@dataclass
class Played:
    """What the organiser ended up with."""

    pins: dict[str, tuple[str, str]] = field(default_factory=dict)
    agenda: dict[str, Slot] = field(default_factory=dict)


def play(stage: Stage) -> Played:
    played = Played()
    before_the_event(stage, played)
    opening_keynote(stage, played)
    safety_briefing(stage, played)
    workshop_door(stage, played)
    mentoring(stage, played)
    room_change(stage, played)
    organiser_wrap_up(stage)
    mini_app_door(stage)
    screens(stage)
    certificates(stage, played)
    return played


def before_the_event(stage: Stage, played: Played) -> None:
    stage.scene("Set-up, which a real event does the week before · Olga, the organiser")
    stage.narrate(
        "Olga's Telegram id is in ADMIN_IDS. She opens the bot and sends the agenda, the participant "
        "list and the registrations exported from her spreadsheet (demo/samples/)."
    )
    stage.say(ORGANISER, "/help", expect="Organisers")
    agenda = todays_agenda(stage)
    played.agenda = read_agenda(agenda)
    keynote = played.agenda["S1"]
    stage.narrate(
        f"The sample agenda is dated {SAMPLE_DAY}; the rehearsal moves it to today, its keynote starting a "
        f"quarter of an hour ago ({keynote.starts}), because the bot takes check-ins only around each "
        "session's own times. Every time below is today's clock: a heading's first time is when its scene "
        "begins."
    )
    for path in (agenda, SAMPLES / "attendees.csv", SAMPLES / "registrations.csv"):
        stage.upload(ORGANISER, path, expect="imported")
    stage.narrate(
        "Check-ins open 30 minutes before a session by default. Olga's morning runs back to back, so she opens "
        "the doors two hours early."
    )
    stage.say(ORGANISER, "/checkinwindow 120 0 60", expect="120 min before the start")

    stage.narrate("The keynote's PINs came with the agenda; the other sessions get generated ones.")
    stage.say(ORGANISER, "/genpins new", expect="PINs")
    played.pins = parse_pins(stage.say(ORGANISER, "/pins", expect="PINs").text)
    missing = [s for s in ("S1", "S2", "S3") if "—" in played.pins.get(s, ("—", "—"))]
    if missing:
        raise DemoError(f"/pins shows no PINs for {', '.join(missing)}")

    stage.narrate("Personal invite links for the mail merge, for people whose Telegram the list does not name.")
    invites = stage.say(ORGANISER, "/invites", kind="document")
    stage.save(invites, "invites_csv")

    stage.narrate("An onsite QR poster for the keynote's entrance, and the badges, both sent to the printer.")
    stage.say(
        ORGANISER,
        "/shortlink SL001 S1 Welcome to Open Data Days 2026! Wi-Fi: ODD-guest, slides: opendatadays.example.org",
        expect="SL001",
    )
    stage.save(stage.say(ORGANISER, "/shortlinkqr", kind="document"), "shortlink_qr_zip")
    stage.save(stage.say(ORGANISER, "/badges", kind="document"), "badges_zip")
    stage.save(stage.say(ORGANISER, "/badges pdf", kind="document"), "badges_pdf")

    stage.narrate(
        "Dora will scan badges at the door of Room B. She opens the bot once, so that it knows her "
        "@username; then Olga makes her the scanner for S2."
    )
    stage.say(SCANNER, "/start", expect="Dora Diaz")
    stage.say(ORGANISER, "/scanner @door_dora S2", expect="S2")


def opening_keynote(stage: Stage, played: Played) -> None:
    pin_in, pin_out = played.pins["S1"]
    stage.scene(f"{played.agenda['S1'].heading} · PINs on the slide: {pin_in} / {pin_out}")
    stage.say(AMARA, "/start", expect="Amara Okafor")
    stage.say(AMARA, pin_in, expect="Checked in")

    link = qr_link(stage.saved["shortlink_qr_zip"], "SL001.png")
    stage.narrate(
        f"Ben points his phone camera at the poster by the door. Its QR code is {link}; "
        "Telegram opens it and sends the bot /start with the code."
    )
    stage.say(BEN, f"/start {start_payload(link)}", expect="Welcome to Open Data Days")

    invite = invite_link(stage.saved["invites_csv"], "REG-003")
    stage.narrate(
        f"Chloé's Telegram was not on the list. She opens the invite link from her e-mail ({invite}), "
        "then types the PIN in lower case."
    )
    stage.say(CHLOE, f"/start {start_payload(invite)}", expect="Chloé Dubois")
    stage.say(CHLOE, pin_in.lower(), expect="Checked in")

    stage.narrate("Amara has to leave early for the workshop she runs, and checks out.")
    stage.say(AMARA, pin_out, expect="Checked out")


def safety_briefing(stage: Stage, played: Played) -> None:
    pin_in, _ = played.pins["S0"]
    stage.scene(f"{played.agenda['S0'].heading} · a quarter credit for the certificate · PIN {pin_in}")
    stage.narrate(
        "Elena's numeric Telegram id was in the participant list, so the bot knows her at once. She is in the "
        "foyer before the venue's two-minute safety briefing starts, and types its PIN."
    )
    stage.say(ELENA, pin_in, expect="Checked in")


def workshop_door(stage: Stage, played: Played) -> None:
    stage.scene(f"{played.agenda['S2'].heading} · registered participants only · Dora at the door")
    stage.narrate("The doors opened two hours early: Dora scans as people arrive for the workshop.")
    stage.say(SCANNER, "/scan S2", expect="Scanning for S2")

    stage.narrate("Daniel shows the badge the bot sends him; Dora photographs his phone's screen.")
    stage.say(DANIEL, "/start", expect="Daniel Kim")
    badge = stage.say(DANIEL, "/badge")
    if badge.method != "sendPhoto" or not badge.content:
        raise DemoError(f"/badge should send an image; the bot answered:\n{badge.text}")
    stage.save(badge, "daniel_badge_png", subdir="photos", name="daniel-badge-from-bot.png")
    shot = phone_screen_photo(badge.content)
    stage.keep(shot, "door-daniel-phone.jpg", "daniel_photo")
    stage.photo(SCANNER, shot, "photo of Daniel's phone screen", expect="GREEN")

    stage.narrate(
        "Ines wears her printed badge. She follows the web track and did not register for the "
        "workshop, so access control turns her away — until Dora admits her anyway."
    )
    token = badge_code(stage.saved["badges_zip"], "badge-REG-009.png")
    shot = printed_badge_photo(token, "Ines Silva")
    stage.keep(shot, "door-ines-printed-badge.jpg", "ines_photo")
    verdict = stage.photo(SCANNER, shot, "photo of Ines's printed badge", expect=("RED", "not registered"))
    stage.press(SCANNER, verdict, "Admit anyway", expect=("GREEN", "admitted anyway"))

    stage.narrate("Grace left her phone at the hotel. Dora finds her on the list and types her attendee id.")
    stage.say(SCANNER, "REG-007", expect=("GREEN", "Grace Liu"))


def mentoring(stage: Stage, played: Played) -> None:
    pin_in, _ = played.pins["S3"]
    stage.scene(f"{played.agenda['S3'].heading} · 2 places · PIN {pin_in}")
    stage.say(BEN, pin_in, expect="Checked in")
    stage.say(ELENA, "/start", expect="Elena Rossi")
    stage.say(ELENA, pin_in, expect="Checked in")
    stage.narrate("Two people are inside, and the room holds two. Farid tries too.")
    stage.say(FARID, pin_in, expect="full")
    stage.say(BEN, "/myattendance", expect=("S1", "S3"))
    panel_in, _ = played.pins["S5"]
    stage.narrate(
        f"Farid finds the afternoon panel's PIN ({panel_in}) in a group chat and tries it now, hours early. "
        "A PIN shared that way must not record attendance from anywhere at any time."
    )
    stage.say(FARID, panel_in, expect="Too early")


def room_change(stage: Stage, played: Played) -> None:
    stage.scene(f"{played.agenda['S2'].heading} · the workshop needs a bigger room")
    stage.narrate("Daniel has had enough messages for one morning: he mutes the organisers' announcements.")
    stage.say(DANIEL, "/mute", expect="No more announcements")
    stage.narrate(
        "Olga tells everyone registered for the workshop. The bot first shows her the message and how many "
        "people it will reach (Grace has no Telegram, and Daniel muted it), and sends nothing before she taps Send."
    )
    before = stage.count_received(AMARA, CHLOE, DANIEL, ORGANISER)
    preview = stage.say(
        ORGANISER,
        "/announce S2 registered The workshop continues in Room 4 (second floor) after the break.",
        expect="2 people",
    )
    stage.press(ORGANISER, preview, "Send")
    for person in (AMARA, CHLOE):
        if not stage.received(person, before, wait=stage.step_timeout):
            raise DemoError(f"{person.label} did not get the announcement")
    time.sleep(4)  # the progress message is edited at most every 3 s: its summary comes last
    if stage.received(DANIEL, before):
        raise DemoError("Daniel muted the announcements, yet the bot sent him one")
    summary = stage.api.sent(chat_id=ORGANISER.user_id)[-1]
    stage.transcript.write(f"{ORGANISER.label} ◂ (the progress message, at the end)")
    stage._show(summary)


def organiser_wrap_up(stage: Stage) -> None:
    stage.scene("Olga checks the numbers and downloads the reports")
    summary = stage.say(ORGANISER, "/session S2", expect="Checked in: 3")
    stage.save(stage.follow_up(ORGANISER, summary, "sendPhoto"), "session_chart", name="session-S2-chart.png")
    stage.save(stage.say(ORGANISER, "/report checkins", kind="document"), "checkins_report")
    stage.save(stage.say(ORGANISER, "/report checkouts", kind="document"), "checkouts_report")


def mini_app_door(stage: Stage) -> None:
    """Dora scans continuously with the Mini App, in a real headless Chromium with a stand-in for
    Telegram's app around it (the same one the browser tests use); screenshots go to demo-output/."""
    stage.scene("Main hall · Dora helps at the keynote door with the scanner Mini App")
    if not chromium_available():
        stage.narrate(
            "Chromium is not installed here, so this scene is skipped (to see it: sudo apt-get install chromium "
            "chromium-driver). In Telegram, /scan offers 📷 Open scanner, a page that keeps the camera open."
        )
        return
    stage.say(ORGANISER, "/scanner @door_dora S1 S2", expect="S1")
    opened = stage.say(SCANNER, "/scan", expect="Which session")
    stage.narrate(
        "Dora taps 📷 Open scanner: Telegram opens the door scanner page with its signed initData, and the camera "
        "stays open; each badge held up gets a full-screen card."
    )
    if "Open scanner" not in json.dumps(opened.reply_markup or {}, ensure_ascii=False):
        raise DemoError("/scan offered no 📷 Open scanner button")
    badges_zip = stage.saved["badges_zip"]
    people = [
        ("Daniel Kim", "badge-REG-004.png"),
        ("Ines Silva", "badge-REG-009.png"),
        ("Daniel Kim", "badge-REG-004.png"),
    ]
    init_data = init_data_for(SCANNER.user_id, TOKEN, "Dora", username=SCANNER.username)
    folder = stage.output_dir / "miniapp"
    with open_browser(telegram_stand_in=telegram_stand_in(init_data)) as driver:
        driver.get(f"{stage.web_root}/miniapp/scanner/")
        _until(driver, "document.querySelectorAll('#sessions button').length > 0", "the session list")
        stage.saved["miniapp_sessions"] = save_screenshot(driver, folder, "1-sessions")
        driver.execute_script("[...document.querySelectorAll('#sessions button')][0].click()")
        _until(driver, "window.__tg.scanOpen", "the camera")
        for number, (name, badge) in enumerate(people, 2):
            code = badge_code(badges_zip, badge)
            time.sleep(1.6)  # the page waits 1.5 s after a verdict before it takes the next code
            driver.execute_script("window.__tg.feed(arguments[0]);", code)
            _until(
                driver,
                f"document.getElementById('who').innerText.startsWith({json.dumps(name)}) && "
                f"document.querySelectorAll('#card.idle').length === 0 && document.body.dataset.n !== '{number}'",
                f"{name}'s card",
            )
            driver.execute_script(f"document.body.dataset.n = '{number}';")
            headline = driver.execute_script("return document.getElementById('headline').innerText;")
            stage.transcript.write(f"{SCANNER.label} ▸ holds up {name}'s badge")
            stage.transcript.write(f"    page ▸ {headline} · {name}")
            stage.saved[f"miniapp_{number}"] = save_screenshot(driver, folder, f"{number}-{name.split()[0].lower()}")


def screens(stage: Stage) -> None:
    """The keynote's room display and the organiser dashboard, opened from their signed links."""
    stage.scene("The keynote's screen and Olga's dashboard")
    display = _link(stage.say(ORGANISER, "/display S1", expect="Room display for S1").text)
    board = _link(stage.say(ORGANISER, "/dashboard", expect="Live dashboard").text)
    if not chromium_available():
        stage.narrate("Chromium is not installed here, so the screens are not photographed.")
        return
    stage.narrate("The projector opens the display link; Olga opens the dashboard on her laptop.")
    folder = stage.output_dir / "screens"
    local = stage.web_root
    with open_browser(width=1920, height=1080) as driver:
        driver.get(display.replace(PUBLIC_URL, local))
        _until(driver, "document.getElementById('inside').innerText !== '–'", "the display's counts")
        stage.saved["display_png"] = save_screenshot(driver, folder, "keynote-display")
        # The same screen for a German-speaking audience: the link's ?lang= parameter.
        driver.get(display.replace(PUBLIC_URL, local) + "?lang=de")
        _until(driver, "document.getElementById('inside').innerText !== '–'", "the German display's counts")
        stage.saved["display_de_png"] = save_screenshot(driver, folder, "keynote-display-de")
        driver.get(board.replace(PUBLIC_URL, local))
        _until(driver, "document.querySelectorAll('#sessions .srow').length > 0", "the dashboard's sessions")
        driver.execute_script("document.querySelector('#sessions .srow').click()")
        _until(driver, "document.getElementById('chart').naturalWidth > 0", "the keynote's chart")
        stage.saved["dashboard_png"] = save_screenshot(driver, folder, "dashboard")
    # The same dashboard on Olga's phone as she walks the venue (390 px wide).
    with open_browser(width=390, height=844) as driver:
        driver.get(board.replace(PUBLIC_URL, local))
        _until(driver, "document.querySelectorAll('#sessions .srow').length > 0", "the phone dashboard's sessions")
        stage.saved["dashboard_phone_png"] = save_screenshot(driver, folder, "dashboard-phone")


def certificates(stage: Stage, played: Played) -> None:
    """Olga releases the certificates of attendance; Elena fetches hers; its verification page."""
    briefing = played.agenda["S0"]
    stage.scene(f"Certificates of attendance · credits count once a session has ended ({briefing.heading})")
    wait = _seconds_until(briefing.ends) + 2
    if wait > 0:
        stage.narrate(f"The safety briefing ends at {briefing.ends}: the rehearsal waits {wait:.0f} s for it.")
        time.sleep(wait)
    stage.narrate(
        "The sessions file carried each session's credits. Only the briefing has ended, and only Elena "
        "attended it, so one certificate is issued; it is reissued when later sessions end."
    )
    stage.say(ORGANISER, "/certificates release", expect="1 issued")
    document = stage.say(ELENA, "/certificate", kind="document")
    path = stage.save(document, "certificate_pdf")
    url = _verify_link(path.read_bytes())
    stage.narrate(f"The certificate is signed (PAdES) and its QR code opens its verification page: {url}")
    if not chromium_available():
        stage.narrate("Chromium is not installed here, so the verification page is not photographed.")
        return
    with open_browser(width=1280, height=900) as driver:
        driver.get(url.replace(PUBLIC_URL, stage.web_root))
        _until(driver, "document.body.innerText.includes('Elena Rossi')", "the certificate's page")
        stage.saved["verify_png"] = save_screenshot(driver, stage.output_dir / "screens", "certificate-verification")


def _seconds_until(hh_mm: str) -> float:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo(EVENT_TIMEZONE))
    hour, minute = (int(part) for part in hh_mm.split(":"))
    return (now.replace(hour=hour, minute=minute, second=0, microsecond=0) - now).total_seconds()


def _verify_link(pdf: bytes) -> str:
    """The verification link the certificate prints (read back from the PDF's text)."""
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    found = re.search(rf"{re.escape(PUBLIC_URL)}/verify/[A-Za-z0-9._-]+", text)
    if found is None:
        raise DemoError("the certificate prints no verification link")
    return found.group(0)


def _link(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("https://"))


def _until(driver, script: str, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not driver.execute_script(f"return Boolean({script});"):
        if time.monotonic() > deadline:
            raise DemoError(f"the scanner page did not show {what} within {timeout:.0f} s")
        time.sleep(0.05)


# ---------------------------------------------------------------- reading the bot's own output


def todays_agenda(stage: Stage) -> Path:
    """The sample agenda moved to today (kept in the output folder, as uploaded)."""
    moved = shifted_agenda((SAMPLES / "sessions.csv").read_text("utf-8"), running_now(EVENT_TIMEZONE))
    path = stage.output_dir / "uploads" / "sessions.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(moved, "utf-8")
    return path


def read_agenda(path: Path) -> dict[str, Slot]:
    """The sessions file as uploaded, by session id: the one source of the headings' session times."""
    with path.open(encoding="utf-8") as rows:
        return {
            row["session_id"]: Slot(
                row["session_id"], row["title"], row["room"], row["starts_at"][-5:], row["ends_at"][-5:]
            )
            for row in csv.DictReader(rows)
        }


def parse_pins(text: str) -> dict[str, tuple[str, str]]:
    """{session: (IN, OUT)} from the bot's /pins message."""
    pins = {}
    for line in text.splitlines():
        match = PIN_LINE.match(line.strip())
        if match:
            pins[match.group(1)] = (match.group(2), match.group(3))
    if not pins:
        raise DemoError(f"could not read any PIN from the bot's /pins answer:\n{text}")
    return pins


def invite_link(csv_path: Path, attendee_id: str) -> str:
    rows = csv.DictReader(io.StringIO(csv_path.read_text("utf-8-sig")))
    for row in rows:
        if row.get("attendee_id") == attendee_id:
            return row["invite_link"]
    raise DemoError(f"{csv_path.name} has no invite link for {attendee_id}")


def _zip_member(zip_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as archive:
        if name not in archive.namelist():
            raise DemoError(f"{zip_path.name} has no {name} (it holds {', '.join(archive.namelist()[:12])})")
        return archive.read(name)


def qr_link(zip_path: Path, name: str) -> str:
    """The link printed on a poster, read back from its QR image."""
    codes = decode_qr(_zip_member(zip_path, name))
    if len(codes) != 1:
        raise DemoError(f"{name} in {zip_path.name}: expected one QR code, read {codes}")
    return codes[0]


def badge_code(zip_path: Path, name: str) -> str:
    """The code on a printed badge, read back from its QR image."""
    return qr_link(zip_path, name)


def start_payload(link: str) -> str:
    """What Telegram sends as `/start <payload>` when someone opens https://t.me/<bot>?start=<payload>."""
    payload = parse_qs(urlsplit(link).query).get("start", [""])[0]
    if not payload:
        raise DemoError(f"{link} is not a Telegram deep link with a start parameter")
    return payload
