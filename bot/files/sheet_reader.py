"""Reading organisers' CSV and XLSX files into checked records (docs/product.md section 1).

The kind of file is recognised from its header row; unknown columns are
ignored. Every problem is reported with its spreadsheet row number (the header
is row 1) and the caller imports nothing from a file that has any problem.
Problems are worded (`_()`) when found, in the language of the organiser who
sent the file: parsing runs in their update's context (`asyncio.to_thread`
carries it). Column names and what the file holds stay as they are.
This module only reads and checks; writing happens in one transaction in
`bot.services.imports.import_file`, whose checks against the database run over
every row together with these: the organiser gets every problem in one answer,
in row order (`worded`).

Nothing a file holds is dropped silently (`bot.files.sheet_grid`): a CSV row
with more fields than the header row, or fewer than it has named columns, is a
problem, and so is a value to the right of the header's last named column, or a
known column named twice; empty cells there (Excel's trailing `;;`) are harmless.
A list cell (`groups`, `targets`) separates names with `;` or `,`: in a
`;`-separated file write `workshop,speakers` or quote the cell
(`"workshop;speakers"`), so a group name holds neither character.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.domain import badges, credits, pins
from bot.domain.credits import CreditError, CreditProblem
from bot.domain.pins import PinProblem
from bot.domain.times import EventTimeError, TimeProblem, parse_event_time
from bot.files.sheet_grid import MAX_ROWS, ImportFileError, duplicate_columns, header_width, read_grid, shape_problem
from bot.files.sheet_grid import text as _text
from bot.i18n import N_, _

SESSION_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
TELEGRAM_RE = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|\d{1,20})$")
_YES = {"yes", "y", "true", "1", "on", "x"}
_NO = {"no", "n", "false", "0", "off", ""}

KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sessions": (
        ("session_id", "title", "starts_at", "ends_at"),
        (
            *("room", "capacity", "access_control", "targets", "pin_in", "pin_out"),
            *("checkin_opens", "checkin_closes", "pin_rotation_seconds", "credits", "credit_rule"),
        ),
    ),
    "attendees": (("attendee_id", "name"), ("email", "groups", "telegram")),
    "registrations": (("attendee_id", "session_id"), ()),
}


# The domain's codes for a cell, worded; /setpin's refusals too (`bot.chat_texts.problem_text`).
PIN_PROBLEMS = {
    PinProblem.EMPTY: N_("a PIN cannot be empty"),
    PinProblem.BAD_CHARACTERS: N_("PIN '{pin}' may contain only upper-case letters A-Z and digits 0-9"),
    PinProblem.BAD_LENGTH: N_("PIN '{pin}' must be {shortest} to {longest} characters long"),
}
TIME_PROBLEMS = {
    # Translators: {text} is a cell of an import file; keep the example date as it is written.
    TimeProblem.NOT_A_DATE_TIME: N_("'{text}' is not a date and time like 2026-05-14 09:30"),
    TimeProblem.NOT_A_REAL_DATE: N_("'{text}' is not a real date and time"),
}

CREDIT_PROBLEMS = {
    # Translators: keep credits: it is a column name; {value!r} is the cell, in quotes; 1.5 is an example.
    CreditProblem.NOT_A_NUMBER: N_("credits {value!r} is not a number like 1.5"),
    # Translators: keep credits: it is a column name; {value!r} is the cell, in quotes.
    CreditProblem.NEGATIVE: N_("credits {value!r} cannot be negative"),
    # Translators: keep credits: it is a column name; {value!r} is the cell, in quotes; keep the examples.
    CreditProblem.NOT_A_QUARTER: N_("credits {value!r} should be in quarter steps, e.g. 1, 1.25, 1.5 or 1.75"),
    # Translators: keep credits: it is a column name; {value!r} is the cell, in quotes; {most} is a number.
    CreditProblem.TOO_MANY: N_("credits {value!r} is more than {most}"),
    # Translators: keep credit_rule, threshold and proportional: the file says them in English.
    CreditProblem.BAD_RULE: N_(
        "credit_rule {value!r} should be threshold (80 %), threshold followed by a percentage from 1 to 100, "
        "or proportional"
    ),
}


def credit_problem_text(error: CreditError) -> str:
    """Why a credits or credit_rule cell is refused, in the organiser's language."""
    return _(CREDIT_PROBLEMS[error.problem]).format(value=error.text, most=credits.MAX_CREDITS)


def pin_problem_text(problem: PinProblem, pin: str) -> str:
    """Why an organiser's PIN is refused, in the organiser's language."""
    return _(PIN_PROBLEMS[problem]).format(pin=pin, shortest=pins.MIN_LENGTH, longest=pins.MAX_LENGTH)


def time_problem_text(error: EventTimeError) -> str:
    """Why a cell is not an event time, in the organiser's language."""
    return _(TIME_PROBLEMS[error.problem]).format(text=error.text)


@dataclass(frozen=True)
class SessionRecord:
    row: int
    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    capacity: int | None
    access_control: bool | None  # None: column absent or blank, keep the current setting
    targets: tuple[str, ...] | None
    pin_in: str | None
    pin_out: str | None
    has_capacity: bool
    checkin_opens: datetime | None = None  # the session's own check-in window
    checkin_closes: datetime | None = None
    has_opens: bool = False  # the column is in the file (a blank cell: the event's default)
    has_closes: bool = False
    pin_rotation_seconds: int | None = None  # the IN PIN rotates (blank: it does not)
    has_rotation: bool = False  # the column is in the file
    credits: Decimal | None = None  # None: no credits column (the session keeps its credits); blank: 0
    credit_rule: str | None = None  # e.g. "threshold 80"; None: no column, or blank (the event's rule)
    has_credit_rule: bool = False  # the column is in the file


@dataclass(frozen=True)
class AttendeeRecord:
    row: int
    attendee_id: str
    name: str
    email: str
    groups: tuple[str, ...] | None
    telegram: str | None  # lower-case username without @, or numeric id


@dataclass(frozen=True)
class RegistrationRecord:
    row: int
    attendee_id: str
    session_id: str


@dataclass
class ParsedFile:
    kind: str
    records: list = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row, what is wrong), worded


def _header_key(cell: object) -> str:
    return re.sub(r"[\s-]+", "_", str(cell or "").strip().lower())


def _split(value: object) -> tuple[str, ...]:
    """A list cell (groups, targets): names separated by ';' or ','."""
    return tuple(dict.fromkeys(p.strip() for p in re.split(r"[;,]", _text(value)) if p.strip()))


def parse_file(data: bytes, filename: str, tz: ZoneInfo) -> ParsedFile:
    grid = read_grid(data, filename)
    rows = grid.rows
    while rows and not any(_text(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        # Translators: {filename} is the name of the file the organiser sent.
        raise ImportFileError(_("{filename} is empty.").format(filename=filename))
    header = [_header_key(c) for c in rows[0]]
    kind = detect_kind(header)
    if kind is None:
        # Translators: {filename} is the name of the file the organiser sent; keep the column names (session_id,
        # title, starts_at, ends_at, attendee_id, name): they are what the file's header row must hold.
        text = _(
            "{filename}: the header row does not match a sessions, attendees or registrations file. "
            "Sessions need session_id, title, starts_at, ends_at; attendees need attendee_id, name; "
            "registrations need attendee_id, session_id."
        )
        raise ImportFileError(text.format(filename=filename))
    if len(rows) == 1:
        # Translators: {filename} is the name of the file the organiser sent.
        text = _("{filename} has only a header row: add one row per session, attendee or registration below it.")
        raise ImportFileError(text.format(filename=filename))
    if len(rows) - 1 > MAX_ROWS:
        # Translators: {filename} is the name of the file the organiser sent.
        raise ImportFileError(_("{filename} has more than {count} rows.").format(filename=filename, count=MAX_ROWS))
    parsed = ParsedFile(kind)
    parsed.problems += [(1, problem) for problem in duplicate_columns(header, set(itertools.chain(*KINDS[kind])))]
    width = header_width(header)
    index = {name: header.index(name) for name in set(header) if name}
    parse_row = {"sessions": _session_row, "attendees": _attendee_row, "registrations": _registration_row}[kind]
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(_text(c) for c in raw):
            continue  # a blank row
        shape = shape_problem(grid, number, raw, width)
        if shape is not None:
            parsed.problems.append((number, shape))  # its cells are not in their columns: read none of them
            continue
        cells = {name: (raw[i] if i < len(raw) else None) for name, i in index.items()}
        try:
            record = parse_row(number, cells, tz)
        except ValueError as exc:
            parsed.problems.append((number, str(exc)))
            continue
        key = {
            "sessions": lambda r: r.session_id,
            "attendees": lambda r: r.attendee_id,
            "registrations": lambda r: f"{r.attendee_id}\x00{r.session_id}",
        }[kind](record).upper()
        if key in seen:
            if kind == "registrations":
                continue  # the same registration twice is harmless
            # Translators: {id!r} is the id (in quotes) found twice in the file; {first} is a row number.
            text = _("duplicate id {id!r} (first on row {first})").format(id=key.split(chr(0))[0], first=seen[key])
            parsed.problems.append((number, text))
            continue
        seen[key] = number
        parsed.records.append(record)
    if kind == "sessions":
        _check_pins_within_file(parsed)
    return parsed


def worded(problems: list[tuple[int, str]]) -> list[str]:
    """A file's problems, found by the file's checks and the database's, in row order: "Row 3: ..."."""
    return [row_problem(row, problem) for row, problem in sorted(problems, key=lambda p: p[0])]


def row_problem(row: int, problem: str) -> str:
    # Translators: {row} is a row number of the organiser's spreadsheet (the header is row 1); {problem} says what
    # is wrong in it.
    return _("Row {row}: {problem}").format(row=row, problem=problem)


def detect_kind(header: list[str]) -> str | None:
    columns = set(header)
    for kind in ("sessions", "attendees", "registrations"):
        if set(KINDS[kind][0]) <= columns:
            return kind
    return None


def _required(cells: dict, name: str) -> str:
    value = _text(cells.get(name))
    if not value:
        # Translators: {column} is a column name of the file (session_id, title...): keep it as it is.
        raise ValueError(_("{column} is empty").format(column=name))
    return value


def _session_row(number: int, cells: dict, tz: ZoneInfo) -> SessionRecord:
    session_id = _required(cells, "session_id")
    if not SESSION_ID_RE.match(session_id):
        # Translators: keep session_id: it is a column name; {value!r} is the cell, in quotes.
        text = _("session_id {value!r} may only contain letters, digits, '.', '_' and '-' (max 32)")
        raise ValueError(text.format(value=session_id))
    title = _required(cells, "title")
    try:
        starts = parse_event_time(cells.get("starts_at") if cells.get("starts_at") not in (None, "") else "", tz)
        ends = parse_event_time(cells.get("ends_at") if cells.get("ends_at") not in (None, "") else "", tz)
    except EventTimeError as error:
        raise ValueError(time_problem_text(error)) from None
    if ends < starts:
        # Translators: keep ends_at and starts_at: they are column names.
        raise ValueError(_("ends_at is before starts_at"))
    capacity = None
    raw_capacity = _text(cells.get("capacity"))
    if raw_capacity:
        if not raw_capacity.isdigit():
            # Translators: keep capacity: it is a column name; {value!r} is the cell, in quotes.
            raise ValueError(_("capacity {value!r} is not a whole number").format(value=raw_capacity))
        capacity = int(raw_capacity)
    access = None
    raw_access = _text(cells.get("access_control")).lower()
    if "access_control" in cells and raw_access:
        if raw_access in _YES:
            access = True
        elif raw_access in _NO:
            access = False
        else:
            # Translators: keep access_control: it is a column name; {value!r} is the cell, in quotes. The file
            # may say yes or no (also y, n, true, false, 1, 0, on, off, x) in English only.
            raise ValueError(_("access_control {value!r} should be yes or no").format(value=raw_access))
    pin_values = {}
    for column in ("pin_in", "pin_out"):
        value = _text(cells.get(column))
        if value:
            problem = pins.pin_problem(value)
            if problem:
                raise ValueError(column_problem(column, pin_problem_text(problem, value)))
        pin_values[column] = value or None
    if pin_values["pin_in"] and pin_values["pin_in"] == pin_values["pin_out"]:
        # Translators: keep pin_in and pin_out: they are column names.
        raise ValueError(_("pin_in and pin_out must differ"))
    window = {}
    for column in ("checkin_opens", "checkin_closes"):
        raw = cells.get(column)
        try:
            window[column] = parse_event_time(raw, tz) if raw not in (None, "") else None
        except EventTimeError as error:
            raise ValueError(column_problem(column, time_problem_text(error))) from None
    if window["checkin_opens"] and window["checkin_closes"] and window["checkin_closes"] < window["checkin_opens"]:
        # Translators: keep checkin_closes and checkin_opens: they are column names.
        raise ValueError(_("checkin_closes is before checkin_opens"))
    rotation = None
    raw_rotation = _text(cells.get("pin_rotation_seconds"))
    if raw_rotation:
        if not (raw_rotation.isdecimal() and raw_rotation.isascii()) or not (
            pins.ROTATION_MIN <= int(raw_rotation) <= pins.ROTATION_MAX
        ):
            # Translators: keep pin_rotation_seconds: it is a column name; {value!r} is the cell, in quotes.
            text = _("pin_rotation_seconds {value!r} should be {min} to {max} seconds")
            raise ValueError(text.format(value=raw_rotation, min=pins.ROTATION_MIN, max=pins.ROTATION_MAX))
        rotation = int(raw_rotation)
    try:
        worth = credits.parse_credits(cells["credits"]) if "credits" in cells else None
        rule = str(credits.parse_rule(_text(cells["credit_rule"]))) if _text(cells.get("credit_rule")) else None
    except CreditError as error:
        raise ValueError(credit_problem_text(error)) from None
    return SessionRecord(
        number,
        session_id,
        title,
        starts,
        ends,
        _text(cells.get("room")),
        capacity,
        access,
        _split(cells["targets"]) if "targets" in cells else None,
        pin_values["pin_in"],
        pin_values["pin_out"],
        "capacity" in cells,
        window["checkin_opens"],
        window["checkin_closes"],
        "checkin_opens" in cells,
        "checkin_closes" in cells,
        rotation,
        "pin_rotation_seconds" in cells,
        worth,
        rule,
        "credit_rule" in cells,
    )


def _attendee_row(number: int, cells: dict, tz: ZoneInfo) -> AttendeeRecord:
    attendee_id = _required(cells, "attendee_id")
    if not badges.ATTENDEE_ID_RE.match(attendee_id):
        # Translators: keep attendee_id: it is a column name; {value!r} is the cell, in quotes.
        text = _("attendee_id {value!r} may only contain letters, digits, '-', '.' and '/' (max 16)")
        raise ValueError(text.format(value=attendee_id))
    name = _required(cells, "name")
    email = _text(cells.get("email"))
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        # Translators: keep email: it is a column name; {value!r} is the cell, in quotes.
        raise ValueError(_("email {value!r} is not an e-mail address").format(value=email))
    telegram = _text(cells.get("telegram")) or None
    if telegram is not None:
        if not TELEGRAM_RE.match(telegram):
            # Translators: keep telegram: it is a column name; {value!r} is the cell, in quotes.
            text = _("telegram {value!r} should be an @username or a numeric Telegram id")
            raise ValueError(text.format(value=telegram))
        telegram = telegram.lstrip("@").lower()
    return AttendeeRecord(
        number, attendee_id, name, email, _split(cells["groups"]) if "groups" in cells else None, telegram
    )


def _registration_row(number: int, cells: dict, tz: ZoneInfo) -> RegistrationRecord:
    return RegistrationRecord(number, _required(cells, "attendee_id"), _required(cells, "session_id"))


def column_problem(column: str, problem: str) -> str:
    # Translators: {column} is a column name of the file (keep it); {problem} says what is wrong with its cell.
    return _("{column}: {problem}").format(column=column, problem=problem)


def _check_pins_within_file(parsed: ParsedFile) -> None:
    owner: dict[str, int] = {}
    for record in parsed.records:
        for pin in (record.pin_in, record.pin_out):
            if pin is None:
                continue
            if pin in owner:
                # Translators: {pin} is a PIN; {other} the number of another row of the file.
                text = _("PIN {pin} is also used on row {other}").format(pin=pin, other=owner[pin])
                parsed.problems.append((record.row, text))
            else:
                owner[pin] = record.row
