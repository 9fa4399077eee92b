"""A table as a file: XLSX or CSV bytes, whatever the table says (`bot.files.report_writer` says
what the reports hold; `bot.services.people` writes its lists with `csv_bytes`).

Rows are consumed as they come, so a file costs memory for one chunk, not for
the whole table. XLSX is written with XlsxWriter in its constant-memory mode: each
row goes to a temporary file as soon as the next one starts, and nothing is kept
per cell. Reports are write-once tables, and XlsxWriter writes them in a fraction
of openpyxl's time (docs/benchmarks.md); openpyxl still reads organisers' files.
XlsxWriter writes the workbook (styles, widths, frozen header, filter, sheet names, the
package); the data rows are the XML its constant-memory mode writes for them, built one
string a row (`_write_rows_fast`) into its own row file: its cell-by-cell `write_row` took
0.6-0.7x openpyxl's time for 100,000 rows, this 0.3-0.4x. Tests compare the two.

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
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cache
from math import isfinite

from babel.dates import get_date_format
from xlsxwriter import Workbook
from xlsxwriter.utility import xl_col_to_name

from bot import i18n

SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
# What XML 1.0 cannot hold (C0 controls but tab, line feed and carriage return; lone surrogates; the two
# non-characters): a name containing one would otherwise make the whole file unreadable or fail to encode.
ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ISO_DATE_TIME = "yyyy-mm-dd hh:mm:ss"
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_TEXT = 32_767  # UTF-16 units in one cell
DATE_TYPES = (date, time, timedelta)
# What XlsxWriter writes as _xHHHH_ in a text cell (and a literal "_xHHHH_", whose underscore it escapes).
CONTROL_ESCAPES = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
XML_ESCAPES = re.compile("[&<>]")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def sheet_title(text: str) -> str:
    """A worksheet name XLSX accepts (at most 31 characters, none of \\ / * ? : [ ], not starting
    or ending with an apostrophe), whatever a translation says."""
    return SHEET_TITLE_FORBIDDEN.sub("-", text)[:31].strip().strip("'").strip() or "Sheet"


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
    """One worksheet per sheet: bold frozen header, autofilter over the data, fixed widths
    (constant-memory mode cannot measure its cells, and writes each row as it comes).

    Every value goes in as what it is: text as text (never a formula or a link, whatever it
    starts with: `escape_cell` still prefixes the formula-looking ones for the programs that
    re-read a cell's text), numbers as numbers, date-times as real date-times shown in the
    report's language (`date_time_formats`; ISO in English). Formats are made once per
    workbook and shared by every cell."""
    formats = date_time_formats(i18n.current())
    buffer = io.BytesIO()
    workbook = Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": formats[0] if formats else ISO_DATE_TIME,
        },
    )
    bold = workbook.add_format({"bold": True})
    taken: set[str] = set()
    for sheet in sheets:
        worksheet = workbook.add_worksheet(_unique_title(sheet.title, taken))
        for number, column in enumerate(sheet.columns):
            worksheet.set_column(number, number, column.width)
        worksheet.freeze_panes(1, 0)
        # Text, never a formula: headers are translations, not escaped.
        worksheet.write_row(0, 0, [ILLEGAL_CHARACTERS.sub("", h) or None for h in sheet.headers], bold)
        _write_rows(worksheet, sheet, fast=_fast_rows(worksheet))
        worksheet.autofilter(0, 0, sheet.written, max(len(sheet.columns) - 1, 0))
    workbook.close()
    return buffer.getvalue()


def _write_rows(worksheet, sheet: Sheet, fast: bool) -> int:
    """The sheet's rows from row 2 on; returns how many. Straight into XlsxWriter's
    constant-memory row file when this XlsxWriter has one (`_fast_rows`), else cell by cell
    through `write_row`, which writes the same XML about three times slower (per cell: type
    dispatch, a cell tuple, dimension checks, escaping regexes, attribute lists)."""
    if fast:
        return _write_rows_fast(worksheet, sheet)
    write_row = worksheet.write_row
    for number, row in enumerate(sheet, 1):
        write_row(number, 0, [_xlsx_value(v) for v in row])
    return sheet.written


def _fast_rows(worksheet) -> bool:
    """Whether `worksheet` keeps its rows in a temporary file we can append to as XlsxWriter 3
    does (`tests/test_spreadsheet.py` checks both ways give the same workbook)."""
    return (
        getattr(worksheet, "constant_memory", False)
        and getattr(worksheet, "row_data_fh", None) is not None
        and worksheet.fh is worksheet.row_data_fh
        and hasattr(worksheet, "_check_dimensions")
        and hasattr(worksheet, "_convert_date_time")
        and hasattr(worksheet, "_escape_control_characters")
        and hasattr(worksheet, "_write_single_row")
        and getattr(worksheet, "default_date_format", None) is not None
    )


def _write_rows_fast(worksheet, sheet: Sheet) -> int:
    """What XlsxWriter's constant-memory mode writes for each row (`<row r=..>` with inline
    strings, numbers, date-times as serial numbers in the workbook's one date format), built as
    one string per row. XlsxWriter still writes everything else: styles, widths, panes, filter,
    sheet names, the package; and its `sheetData` is this file, as when it writes the rows."""
    date_style = f' s="{worksheet.default_date_format._get_xf_index()}"'
    convert_date = worksheet._convert_date_time
    escape_controls = worksheet._escape_control_characters
    columns = [xl_col_to_name(c) for c in range(max(len(sheet.columns), 1))]
    worksheet._write_single_row(1)  # the header, still held as XlsxWriter's current row
    write = worksheet.fh.write
    widest = 0
    number = 0
    for number, row in enumerate(sheet, 2):
        if number > XLSX_MAX_ROWS:
            raise ValueError(f"more than {XLSX_MAX_ROWS:,} rows: more than an XLSX sheet holds")
        r = str(number)
        cells = []
        for col, value in enumerate(row):
            if value is None:
                continue
            if col >= len(columns):
                columns.extend(xl_col_to_name(c) for c in range(len(columns), col + 1))
            ref = columns[col] + r
            kind = value.__class__
            if kind is int or kind is float:
                if isfinite(value):
                    cells.append(f'<c r="{ref}"><v>{value:.16G}</v></c>')
                    continue
                value = str(value)
            elif kind is datetime or kind in DATE_TYPES:
                cells.append(f'<c r="{ref}"{date_style}><v>{convert_date(value):.16G}</v></c>')
                continue
            elif kind is bool:
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                continue
            elif kind is not str:
                if isinstance(value, DATE_TYPES):
                    cells.append(f'<c r="{ref}"{date_style}><v>{convert_date(value):.16G}</v></c>')
                    continue
                if isinstance(value, int | float | Decimal | Fraction) and isfinite(value):
                    cells.append(f'<c r="{ref}"><v>{float(value):.16G}</v></c>')
                    continue
                value = str(value)
            text = _xlsx_value(value)
            if text is None:
                continue
            cells.append(f'<c r="{ref}" t="inlineStr">{_inline_text(text, escape_controls)}</c>')
        if cells:
            widest = max(widest, len(row))
            write(f'<row r="{r}">{"".join(cells)}</row>')
    if number:
        worksheet._check_dimensions(1, 0)
        worksheet._check_dimensions(number - 1, max(widest, len(sheet.columns), 1) - 1)
    return sheet.written


def _inline_text(text: str, escape_controls) -> str:
    """`<is><t>text</t></is>` as XlsxWriter writes it: tab/CR and a literal `_xHHHH_` escaped
    Excel's way, & < > as entities, edge whitespace kept."""
    if CONTROL_ESCAPES.search(text):
        text = escape_controls(text)
    if XML_ESCAPES.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text[0].isspace() or text[-1].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


def _unique_title(title: str, taken: set[str]) -> str:
    """`title`, or it with a number when an earlier sheet has it (XLSX compares names ignoring
    case, and keeps "History" for itself)."""
    title = sheet_title(title)
    candidate, number = title, 1
    while candidate.lower() in taken or candidate.lower() == "history":
        number += 1
        suffix = f" ({number})"
        candidate = title[: 31 - len(suffix)].rstrip() + suffix
    taken.add(candidate.lower())
    return candidate


def _xlsx_value(value: object) -> object:
    """Escape text cells and drop characters XML cannot hold (a name containing one would
    otherwise make the whole report fail); cut text to what a cell holds. Empty text and None
    become no cell at all."""
    if isinstance(value, str):
        if not value:
            return None
        if ILLEGAL_CHARACTERS.search(value):
            value = ILLEGAL_CHARACTERS.sub("", value)
            if not value:
                return None
        value = escape_cell(value)
        if len(value) > XLSX_MAX_TEXT // 2 and len(value.encode("utf-16-le")) > 2 * XLSX_MAX_TEXT:
            # What a cell holds (XlsxWriter would cut it too, and stop writing the row).
            value = value.encode("utf-16-le")[: 2 * XLSX_MAX_TEXT].decode("utf-16-le", "ignore")
        return value
    if isinstance(value, float) and not isfinite(value):
        return str(value)  # XLSX has no NaN or infinity
    return value


def csv_file(sheet: Sheet) -> bytes:
    """The sheet as CSV; escaping and the byte-order mark come from `csv_bytes`; date-times are
    written as the report's language writes them (`date_time_formats`)."""
    formats = date_time_formats(i18n.current())
    if formats is None:
        return csv_bytes(sheet.headers, sheet)
    written = ([v.strftime(formats[1]) if isinstance(v, datetime) else v for v in row] for row in sheet)
    return csv_bytes(sheet.headers, written)
