"""Spreadsheet files: rows in, XLSX or CSV bytes out (docs/product.md, section 4).

Rows are consumed as they come, so a report costs memory for one chunk, not
for the whole event: openpyxl's write-only mode streams each row to a
temporary file instead of keeping a cell object per value.

Times are shown in the event's time zone. XLSX cannot hold an aware
date-time, so cells hold the local wall time and the header names the zone
and its UTC offset ("Check-in time (Europe/Paris, UTC+02:00)"); when an event
spans a daylight-saving change the header names the zone alone, which says
both offsets. Every text cell goes through
`escape_cell`: names come from Telegram profiles, which anyone can set to a
formula: a cell that starts with `=`, `+`, `-` or `@` (or a tab / carriage
return, which some programs strip first) is prefixed with an apostrophe, so a
spreadsheet shows it as text instead of running it.

Column headers, sheet names, the yes/no cells and notes, and the way dates and
times are written follow the current language (`bot.i18n`): the organiser who
asked, or the dashboard's language. The data (names, titles, ids, method and
reason codes) is never translated. English keeps ISO dates (2026-05-14
10:00:00); another language writes its CLDR short date with a four-digit year
(German 14.05.2026 10:00:00, French 14/05/2026 10:00:00): XLSX cells stay real
date-times, shown in that format; CSV cells are text in it, as a spreadsheet
program set to that language reads them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import groupby
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import get_date_format
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot import i18n
from bot.domain.report_rows import CheckinRow, Movement, RefusedRow
from bot.i18n import N_, _

# Translators: a note in the check-outs report: the person left without a check-in on record.
NOTE_NO_CHECK_IN = N_("check-out without check-in")
# Translators: a note in the check-outs report: the person never checked out.
NOTE_NO_CHECK_OUT = N_("no check-out")
HEADER_FONT = Font(bold=True)
SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def sheet_title(text: str) -> str:
    """A worksheet name XLSX accepts (at most 31 characters, none of \\ / * ? : [ ]), whatever
    a translation says."""
    return SHEET_TITLE_FORBIDDEN.sub("-", text)[:31].strip() or "Sheet"


@cache
def date_time_formats(language: str) -> tuple[str, str] | None:
    """How `language` writes a date and time in a report: (XLSX number format, strftime format),
    from its CLDR short date with a four-digit year; None for English (ISO, as openpyxl and CSV
    write it by default)."""
    if language == i18n.SOURCE_LANGUAGE:
        return None
    pattern = get_date_format("short", locale=i18n.babel_locale(language)).pattern
    date = re.sub(r"y+", "yyyy", re.sub(r"M+", "MM", re.sub(r"d+", "dd", pattern)))
    if not re.fullmatch(r"[dMy./\- ]+", date):  # quoted text or other fields: keep ISO rather than guess
        return None
    excel = date.replace("MM", "mm") + " hh:mm:ss"
    strftime = date.replace("dd", "%d").replace("MM", "%m").replace("yyyy", "%Y") + " %H:%M:%S"
    return excel, strftime


def escape_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read accents right.
    Encoded while written, so a large report is held once, as bytes."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else escape_cell(v) for v in row])
    text.flush()
    data = buffer.getvalue()
    text.detach()
    return data


@dataclass(frozen=True)
class Column:
    header: str
    width: int


class Sheet:
    """A titled table whose rows are produced lazily; `written` counts the rows consumed."""

    def __init__(self, title: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> None:
        self.title = title
        self.columns = list(columns)
        self._rows = rows
        self.written = 0

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def __iter__(self) -> Iterator[Sequence[object]]:
        for row in self._rows:
            self.written += 1
            yield row


# ---------------------------------------------------------------- times


def offset_label(tz: ZoneInfo, start: datetime, end: datetime) -> str:
    """The UTC offset(s) of `tz` between two instants, e.g. 'UTC+02:00'.

    Sampled twice a day: offsets change at most twice a year, so no change
    between samples can go unseen."""
    offsets: list[timedelta] = []
    moment = start
    while True:
        offset = moment.astimezone(tz).utcoffset()
        if offset not in offsets:
            offsets.append(offset)
        if moment >= end:
            break
        moment = min(moment + timedelta(hours=12), end)
    return "/".join(_format_offset(o) for o in sorted(offsets))


def time_label(tz: ZoneInfo, offsets: str) -> str:
    """What column headers say about their times: the zone, and its offset when there is one."""
    return tz.key if "/UTC" in offsets else f"{tz.key}, {offsets}"


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Naive local wall time to the second: what a spreadsheet cell can hold."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


def _yes(flag: bool) -> str:
    # Translators: a cell in a report (registered, targeted, override: yes or no).
    return _("yes") if flag else _("no")


# ---------------------------------------------------------------- check-ins


def _person_at_session_columns(offsets: str) -> list[Column]:
    """The columns both reports start with: the session, the person, and when they came in."""
    return [
        # Translators: a report's column header.
        Column(_("Session id"), 12),
        # Translators: a report's column header: the session's title.
        Column(_("Title"), 36),
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Session start ({zone})").format(zone=offsets), 22),
        # Translators: a report's column header.
        Column(_("Attendee id"), 14),
        # Translators: a report's column header: the attendee's name.
        Column(_("Name"), 28),
        # Translators: a report's column header.
        Column(_("Email"), 30),
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Check-in time ({zone})").format(zone=offsets), 22),
    ]


def checkins_sheet(rows: Iterable[CheckinRow], tz: ZoneInfo, offsets: str) -> Sheet:
    columns = [
        *_person_at_session_columns(offsets),
        # Translators: a report's column header: how the person checked in (PIN, scan, …).
        Column(_("Method"), 11),
        # Translators: a report's column header: who scanned the badge at the door.
        Column(_("Scanner"), 26),
        # Translators: a report's column header: whether the person was registered for the session.
        Column(_("Registered"), 11),
        # Translators: a report's column header: whether the session was aimed at the person's group.
        Column(_("Targeted"), 10),
        # Translators: a report's column header: whether door staff let the person in despite a refusal.
        Column(_("Override"), 10),
    ]
    cells = (
        [
            r.session_id,
            r.title,
            _local(r.session_start, tz),
            r.attendee_id,
            r.name,
            r.email,
            _local(r.at, tz),
            r.method,
            r.scanner,
            _yes(r.registered),
            _yes(r.targeted),
            _yes(r.override),
        ]
        for r in rows
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Check-ins")), columns, cells)


# ---------------------------------------------------------------- check-outs


class Visit(NamedTuple):
    """One stay in a room; either end may be missing (never checked out, or
    checked out with no check-in on record)."""

    check_in: datetime | None
    check_out: datetime | None

    @property
    def complete(self) -> bool:
        return self.check_in is not None and self.check_out is not None


def pair_visits(movements: Iterable[Movement]) -> list[Visit]:
    """Pair one person's check-ins with their check-outs at one session, in log order.

    An IN while already inside (possible after an undo) keeps the earlier
    arrival; an OUT with nobody inside is a visit without a check-in."""
    visits: list[Visit] = []
    arrived: datetime | None = None
    for m in movements:
        if m.direction == "IN":
            arrived = arrived or m.at
        elif arrived is not None:
            visits.append(Visit(arrived, m.at))
            arrived = None
        else:
            visits.append(Visit(None, m.at))
    if arrived is not None:
        visits.append(Visit(arrived, None))
    return visits


def minutes_attended(visits: Sequence[Visit]) -> int | None:
    """Whole minutes over every complete visit; None when no visit has both ends."""
    complete = [v for v in visits if v.complete]
    if not complete:
        return None
    return round(sum((v.check_out - v.check_in).total_seconds() for v in complete) / 60)


class CheckoutLine(NamedTuple):
    session_id: str
    title: str
    session_start: datetime
    attendee_id: str
    name: str
    email: str
    check_in: datetime | None
    check_out: datetime | None
    minutes: int | None
    visits: int
    note: str


def checkout_lines(movements: Iterable[Movement]) -> Iterator[CheckoutLine]:
    """One line per person and session: first check-in, last check-out and the
    minutes of every visit summed. `movements` must come grouped by session and
    person, in log order (as `bot.storage.reports.movements` yields them)."""
    for _key, group in groupby(movements, key=lambda m: (m.session_id, m.attendee_id)):
        group = list(group)
        visits = pair_visits(group)
        arrivals = [v.check_in for v in visits if v.check_in]
        departures = [v.check_out for v in visits if v.check_out]
        notes = []
        if any(v.check_in is None for v in visits):
            notes.append(NOTE_NO_CHECK_IN)
        if visits[-1].check_out is None:
            notes.append(NOTE_NO_CHECK_OUT)
        first = group[0]
        yield CheckoutLine(
            first.session_id,
            first.title,
            first.session_start,
            first.attendee_id,
            first.name,
            first.email,
            min(arrivals, default=None),
            max(departures, default=None),
            minutes_attended(visits),
            len(arrivals),
            "; ".join(_(note) for note in notes),
        )


def checkouts_sheet(movements: Iterable[Movement], tz: ZoneInfo, offsets: str) -> Sheet:
    columns = [
        *_person_at_session_columns(offsets),
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Check-out time ({zone})").format(zone=offsets), 22),
        # Translators: a report's column header: minutes in the room, over every visit.
        Column(_("Minutes attended"), 12),
        # Translators: a report's column header: how many times the person came in.
        Column(_("Visits"), 8),
        # Translators: a report's column header.
        Column(_("Note"), 30),
    ]
    cells = (
        [
            c.session_id,
            c.title,
            _local(c.session_start, tz),
            c.attendee_id,
            c.name,
            c.email,
            _local(c.check_in, tz),
            _local(c.check_out, tz),
            c.minutes,
            c.visits,
            c.note,
        ]
        for c in checkout_lines(movements)
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Check-outs")), columns, cells)


# ---------------------------------------------------------------- refused attempts


def refused_sheet(rows: Iterable[RefusedRow], tz: ZoneInfo, offsets: str) -> Sheet:
    columns = [
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Time ({zone})").format(zone=offsets), 22),
        Column(_("Session id"), 12),
        Column(_("Title"), 30),
        Column(_("Attendee id"), 14),
        Column(_("Name"), 28),
        # Translators: a report's column header: in or out.
        Column(_("Direction"), 10),
        Column(_("Method"), 11),
        # Translators: a report's column header: why the attempt was refused.
        Column(_("Reason"), 24),
        Column(_("Scanner"), 26),
        # Translators: a report's column header: whether door staff let the person in after all.
        Column(_("Overridden"), 11),
        # Translators: a report's column header: more about the attempt (e.g. the code that was scanned).
        Column(_("Detail"), 20),
    ]
    cells = (
        [
            _local(r.at, tz),
            r.session_id,
            r.title,
            r.attendee_id,
            r.name,
            r.direction,
            r.method,
            r.reason,
            r.scanner,
            _yes(r.overridden),
            r.detail,
        ]
        for r in rows
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Refused attempts")), columns, cells)


# ---------------------------------------------------------------- files


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """One worksheet per sheet: bold frozen header, autofilter, fixed widths
    (write-only mode cannot measure its cells, and needs widths before rows)."""
    workbook = Workbook(write_only=True)
    formats = date_time_formats(i18n.current())
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.title)
        for number, column in enumerate(sheet.columns, 1):
            worksheet.column_dimensions[get_column_letter(number)].width = column.width
        worksheet.freeze_panes = "A2"
        worksheet.append([_header_cell(worksheet, c.header) for c in sheet.columns])
        for row in sheet:
            worksheet.append([_xlsx_value(v, worksheet, formats) for v in row])
        worksheet.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{sheet.written + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header_cell(worksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=text)
    cell.font = HEADER_FONT
    return cell


def _xlsx_value(value: object, worksheet, formats: tuple[str, str] | None) -> object:
    """Escape text cells; drop control characters XLSX cannot store (a name
    containing one would otherwise make the whole report fail). Empty text
    becomes no cell at all, which openpyxl writes for free. A date-time is shown
    as the report's language writes it (`date_time_formats`)."""
    if isinstance(value, str):
        return escape_cell(ILLEGAL_CHARACTERS_RE.sub("", value)) or None
    if formats is not None and isinstance(value, datetime):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = formats[0]
        return cell
    return value


def csv_file(sheet: Sheet) -> bytes:
    """The sheet as CSV; escaping and the byte-order mark come from `csv_bytes`; date-times are
    written as the report's language writes them (`date_time_formats`)."""
    formats = date_time_formats(i18n.current())
    if formats is None:
        return csv_bytes(sheet.headers, sheet)
    written = ([v.strftime(formats[1]) if isinstance(v, datetime) else v for v in row] for row in sheet)
    return csv_bytes(sheet.headers, written)
