"""A table as a file: XLSX or CSV bytes, whatever the table says (`bot.files.report_writer` says
what the reports hold; `bot.services.people` writes its lists with `csv_bytes`).

Rows are consumed as they come, so a file costs memory for one chunk, not for
the whole table: openpyxl's write-only mode streams each row to a temporary
file instead of keeping a cell object per value.

Every text cell goes through `escape_cell`: names come from Telegram profiles,
which anyone can set to a formula: a cell that starts with `=`, `+`, `-` or `@`
(or a tab / carriage return, which some programs strip first) is prefixed with
an apostrophe, so a spreadsheet shows it as text instead of running it.

Dates and times are written as the current language (`bot.i18n`) writes them.
English keeps ISO dates (2026-05-14 10:00:00); another language writes its CLDR
short date with a four-digit year (German 14.05.2026 10:00:00, French
14/05/2026 10:00:00): XLSX cells stay real date-times, shown in that format;
CSV cells are text in it, as a spreadsheet program set to that language reads
them. Sheet names are cut to what XLSX accepts, whatever a translation says.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from babel.dates import get_date_format
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot import i18n

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
