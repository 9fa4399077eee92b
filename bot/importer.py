"""Reading organisers' CSV and XLSX files into checked records (docs/product.md section 1).

The kind of file is recognised from its header row; unknown columns are
ignored. Every problem is reported with its spreadsheet row number (the header
is row 1) and the caller imports nothing from a file that has any problem.
This module only reads and checks; writing happens in one transaction in
`bot.services.imports.import_file`.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import badges, pins
from bot.domain.times import parse_event_time

MAX_ROWS = 50_000
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
TELEGRAM_RE = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|\d{1,20})$")
_YES = {"yes", "y", "true", "1", "on", "x"}
_NO = {"no", "n", "false", "0", "off", ""}

KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sessions": (
        ("session_id", "title", "starts_at", "ends_at"),
        ("room", "capacity", "access_control", "targets", "pin_in", "pin_out"),
    ),
    "attendees": (("attendee_id", "name"), ("email", "groups", "telegram")),
    "registrations": (("attendee_id", "session_id"), ()),
}


class ImportFileError(Exception):
    """The file cannot be read at all (not CSV/XLSX, no header, unknown kind)."""


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
    errors: list[str] = field(default_factory=list)


def _header_key(cell: object) -> str:
    return re.sub(r"[\s-]+", "_", str(cell or "").strip().lower())


def _read_rows(data: bytes, filename: str) -> list[list[object]]:
    """At most MAX_ROWS + 2 rows (header, limit, one more to notice the excess),
    so a small file that unpacks to millions of rows is refused cheaply."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        _refuse_zip_bomb(data, filename)
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                return [list(r) for r in itertools.islice(sheet.iter_rows(values_only=True), MAX_ROWS + 2)]
            finally:
                workbook.close()
        except Exception as exc:  # openpyxl raises many kinds for a damaged file (zip, XML, missing parts)
            raise ImportFileError(
                f"{filename} is not a readable XLSX file: open it in a spreadsheet program "
                "and save it again as XLSX or CSV."
            ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{filename} is not UTF-8 text: save it as CSV UTF-8 or XLSX.") from None
    if "\x00" in text:
        raise ImportFileError(f"{filename} is not a CSV or XLSX file.")
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    try:
        return list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), MAX_ROWS + 2))
    except csv.Error as exc:
        raise ImportFileError(f"{filename} is not a readable CSV file ({exc}).") from None


MAX_UNPACKED_BYTES = 100 * 1024 * 1024


def _refuse_zip_bomb(data: bytes, filename: str) -> None:
    """openpyxl reads the whole shared-strings part on opening, before any row:
    a small upload that unpacks to gigabytes must be refused unopened."""
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(
            f"{filename} is not a readable XLSX file: open it in a spreadsheet program "
            "and save it again as XLSX or CSV."
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            f"{filename} unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; split it or save it as CSV."
        )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _split(value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in _text(value).split(";") if p.strip()))


def parse_file(data: bytes, filename: str, tz: ZoneInfo) -> ParsedFile:
    rows = _read_rows(data, filename)
    while rows and not any(_text(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(f"{filename} is empty.")
    header = [_header_key(c) for c in rows[0]]
    kind = detect_kind(header)
    if kind is None:
        raise ImportFileError(
            f"{filename}: the header row does not match a sessions, attendees or registrations file. "
            "Sessions need session_id, title, starts_at, ends_at; attendees need attendee_id, name; "
            "registrations need attendee_id, session_id."
        )
    if len(rows) - 1 > MAX_ROWS:
        raise ImportFileError(f"{filename} has more than {MAX_ROWS} rows.")
    parsed = ParsedFile(kind)
    index = {name: header.index(name) for name in set(header) if name}
    parse_row = {"sessions": _session_row, "attendees": _attendee_row, "registrations": _registration_row}[kind]
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(_text(c) for c in raw):
            continue
        cells = {name: (raw[i] if i < len(raw) else None) for name, i in index.items()}
        try:
            record = parse_row(number, cells, tz)
        except ValueError as exc:
            parsed.errors.append(f"Row {number}: {exc}")
            continue
        key = {
            "sessions": lambda r: r.session_id,
            "attendees": lambda r: r.attendee_id,
            "registrations": lambda r: f"{r.attendee_id}\x00{r.session_id}",
        }[kind](record).upper()
        if key in seen:
            if kind == "registrations":
                continue  # the same registration twice is harmless
            parsed.errors.append(f"Row {number}: duplicate id {key.split(chr(0))[0]!r} (first on row {seen[key]})")
            continue
        seen[key] = number
        parsed.records.append(record)
    if kind == "sessions":
        _check_pins_within_file(parsed)
    return parsed


def detect_kind(header: list[str]) -> str | None:
    columns = set(header)
    for kind in ("sessions", "attendees", "registrations"):
        if set(KINDS[kind][0]) <= columns:
            return kind
    return None


def _required(cells: dict, name: str) -> str:
    value = _text(cells.get(name))
    if not value:
        raise ValueError(f"{name} is empty")
    return value


def _session_row(number: int, cells: dict, tz: ZoneInfo) -> SessionRecord:
    session_id = _required(cells, "session_id")
    if not SESSION_ID_RE.match(session_id):
        raise ValueError(f"session_id {session_id!r} may only contain letters, digits, '.', '_' and '-' (max 32)")
    title = _required(cells, "title")
    starts = parse_event_time(cells.get("starts_at") if cells.get("starts_at") not in (None, "") else "", tz)
    ends = parse_event_time(cells.get("ends_at") if cells.get("ends_at") not in (None, "") else "", tz)
    if ends < starts:
        raise ValueError("ends_at is before starts_at")
    capacity = None
    raw_capacity = _text(cells.get("capacity"))
    if raw_capacity:
        if not raw_capacity.isdigit():
            raise ValueError(f"capacity {raw_capacity!r} is not a whole number")
        capacity = int(raw_capacity)
    access = None
    raw_access = _text(cells.get("access_control")).lower()
    if "access_control" in cells and raw_access:
        if raw_access in _YES:
            access = True
        elif raw_access in _NO:
            access = False
        else:
            raise ValueError(f"access_control {raw_access!r} should be yes or no")
    pin_values = {}
    for column in ("pin_in", "pin_out"):
        value = _text(cells.get(column))
        if value:
            problem = pins.pin_problem(value)
            if problem:
                raise ValueError(f"{column}: {problem}")
        pin_values[column] = value or None
    if pin_values["pin_in"] and pin_values["pin_in"] == pin_values["pin_out"]:
        raise ValueError("pin_in and pin_out must differ")
    window = {}
    for column in ("checkin_opens", "checkin_closes"):
        raw = cells.get(column)
        try:
            window[column] = parse_event_time(raw, tz) if raw not in (None, "") else None
        except ValueError as problem:
            raise ValueError(f"{column}: {problem}") from None
    if window["checkin_opens"] and window["checkin_closes"] and window["checkin_closes"] < window["checkin_opens"]:
        raise ValueError("checkin_closes is before checkin_opens")
    rotation = None
    raw_rotation = _text(cells.get("pin_rotation_seconds"))
    if raw_rotation:
        if not (raw_rotation.isdecimal() and raw_rotation.isascii()) or not (
            pins.ROTATION_MIN <= int(raw_rotation) <= pins.ROTATION_MAX
        ):
            raise ValueError(
                f"pin_rotation_seconds {raw_rotation!r} should be {pins.ROTATION_MIN} to {pins.ROTATION_MAX} seconds"
            )
        rotation = int(raw_rotation)
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
    )


def _attendee_row(number: int, cells: dict, tz: ZoneInfo) -> AttendeeRecord:
    attendee_id = _required(cells, "attendee_id")
    if not badges.ATTENDEE_ID_RE.match(attendee_id):
        raise ValueError(f"attendee_id {attendee_id!r} may only contain letters, digits, '-', '.' and '/' (max 16)")
    name = _required(cells, "name")
    email = _text(cells.get("email"))
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ValueError(f"email {email!r} is not an e-mail address")
    telegram = _text(cells.get("telegram")) or None
    if telegram is not None:
        if not TELEGRAM_RE.match(telegram):
            raise ValueError(f"telegram {telegram!r} should be an @username or a numeric Telegram id")
        telegram = telegram.lstrip("@").lower()
    return AttendeeRecord(
        number, attendee_id, name, email, _split(cells["groups"]) if "groups" in cells else None, telegram
    )


def _registration_row(number: int, cells: dict, tz: ZoneInfo) -> RegistrationRecord:
    return RegistrationRecord(number, _required(cells, "attendee_id"), _required(cells, "session_id"))


def _check_pins_within_file(parsed: ParsedFile) -> None:
    owner: dict[str, int] = {}
    for record in parsed.records:
        for pin in (record.pin_in, record.pin_out):
            if pin is None:
                continue
            if pin in owner:
                parsed.errors.append(f"Row {record.row}: PIN {pin} is also used on row {owner[pin]}")
            else:
                owner[pin] = record.row
