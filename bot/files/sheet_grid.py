"""The grid of an organiser's CSV or XLSX file: its rows of cells, before any column has a meaning.

`read_grid` refuses what cannot be a spreadsheet (`ImportFileError`). The checks below find the cells
that would not land in a named column, so that nothing the file holds is dropped silently:

* a CSV row with MORE fields than the header row: most often a cell with the separator in it,
  unquoted (`workshop;speakers` in a `;`-separated file). Even empty extra fields: the cells after the
  separator moved one column to the right, and when the row's last cell was empty the extra field is
  empty too, so a harmless trailing separator cannot be told from lost data;
* a CSV row with FEWER fields than the header has named columns: a separator is missing, so the
  fields after it sit in the wrong columns;
* a value to the right of the header's last named column (XLSX, or CSV under empty header fields).
  EMPTY cells there are harmless: they hold nothing (Excel ends every row with `;;` when its used
  range is wider than the header's names, the header row included). An XLSX row may be shorter than
  the header: a missing cell is an empty one;
* a known column named twice in the header row (row 1): which of the two would count?

Blank rows are skipped by the caller; every row keeps its spreadsheet number (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from dataclasses import dataclass

from bot.i18n import _

MAX_ROWS = 50_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
DELIMITERS = (",", ";", "\t")


class ImportFileError(Exception):
    """The file cannot be read at all (not CSV/XLSX, no header, unknown kind)."""


@dataclass(frozen=True)
class Grid:
    rows: list[list[object]]
    delimiter: str | None  # None: an XLSX sheet


def text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_grid(data: bytes, filename: str) -> Grid:
    """At most MAX_ROWS + 2 rows (header, limit, one more to notice the excess),
    so a small file that unpacks to millions of rows is refused cheaply."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        _refuse_zip_bomb(data, filename)
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                rows = [list(r) for r in itertools.islice(sheet.iter_rows(values_only=True), MAX_ROWS + 2)]
                return Grid(rows, None)
            finally:
                workbook.close()
        except Exception as exc:  # openpyxl raises many kinds for a damaged file (zip, XML, missing parts)
            raise ImportFileError(_unreadable_xlsx(filename)) from exc
    try:
        content = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        # Translators: {filename} is the name of the file the organiser sent.
        message = _("{filename} is not UTF-8 text: save it as CSV UTF-8 or XLSX.")
        raise ImportFileError(message.format(filename=filename)) from None
    if "\x00" in content:
        # Translators: {filename} is the name of the file the organiser sent.
        raise ImportFileError(_("{filename} is not a CSV or XLSX file.").format(filename=filename))
    # The header row names the columns and holds no list cell, so its most frequent separator is the file's.
    # (csv.Sniffer guesses from the data rows too, where unquoted list cells and commas in titles mislead it.)
    first_line = content.splitlines()[0] if content else ""
    delimiter = max(DELIMITERS, key=first_line.count)
    try:
        reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
        return Grid(list(itertools.islice(reader, MAX_ROWS + 2)), delimiter)
    except csv.Error as exc:
        # Translators: {filename} is the name of the file the organiser sent; {error} is the CSV reader's own
        # explanation (in English).
        message = _("{filename} is not a readable CSV file ({error}).")
        raise ImportFileError(message.format(filename=filename, error=exc)) from None


def _unreadable_xlsx(filename: str) -> str:
    # Translators: {filename} is the name of the file the organiser sent.
    message = _(
        "{filename} is not a readable XLSX file: open it in a spreadsheet program and save it again as XLSX or CSV."
    )
    return message.format(filename=filename)


def _refuse_zip_bomb(data: bytes, filename: str) -> None:
    """openpyxl reads the whole shared-strings part on opening, before any row:
    a small upload that unpacks to gigabytes must be refused unopened."""
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(_unreadable_xlsx(filename)) from None
    if unpacked > MAX_UNPACKED_BYTES:
        # Translators: {filename} is the name of the file the organiser sent; {size} a number of megabytes.
        message = _("{filename} unpacks to more than {size} MB; split it or save it as CSV.")
        raise ImportFileError(message.format(filename=filename, size=MAX_UNPACKED_BYTES // 2**20))


def header_width(header: list[str]) -> int:
    """The header's named columns end at its last non-empty cell (Excel may add empty ones)."""
    return max((i + 1 for i, name in enumerate(header) if name), default=0)


def duplicate_columns(header: list[str], known: set[str]) -> list[str]:
    """Row 1's problems: a known column named twice (unknown columns are ignored, so they may repeat)."""
    first: dict[str, int] = {}
    problems = []
    for position, name in enumerate(header, start=1):
        if name not in known:
            continue
        if name in first:
            # Translators: {column} is a column name of the file (keep it); {first} and {second} are column
            # numbers (the leftmost column is 1).
            message = _("column {column} appears twice (columns {first} and {second}): keep only one of them.")
            problems.append(message.format(column=name, first=first[name], second=position))
        else:
            first[name] = position
    return problems


def shape_problem(grid: Grid, number: int, raw: list[object], width: int) -> str | None:
    """Why row `number` cannot be read column by column, or None. `width` counts the header's named
    columns; a CSV row needs a field for each of them and no more fields than the header row has."""
    if grid.delimiter is not None:
        separator = _("tab") if grid.delimiter == "\t" else f"'{grid.delimiter}'"
        if len(raw) > len(grid.rows[0]):
            # Even when the extra fields are empty: an unquoted separator in a cell moves every later cell one
            # column to the right, and a row whose last cell was empty then ends with an empty extra field.
            # Translators: {count} and {columns} are numbers; {separator} is the file's separator (',', ';' or
            # "tab"); {other} is another separator. Keep groups and targets: they are column names.
            message = _(
                "more fields than the header row has columns ({count} instead of {columns}): a cell holds the "
                "separator {separator}. Put that cell in double quotes, or write lists (groups, targets) with "
                "{other} between the names."
            )
            other = "';'" if grid.delimiter == "," else "','"
            return message.format(count=len(raw), columns=len(grid.rows[0]), separator=separator, other=other)
        if len(raw) < width:
            # Translators: {count} and {columns} are numbers; {separator} is the file's separator (',', ';' or
            # "tab").
            message = _(
                "fewer fields than the header row has columns ({count} instead of {columns}): a separator "
                "{separator} is missing. Every row needs one field per column, even when it is empty."
            )
            return message.format(count=len(raw), columns=width, separator=separator)
    extra = [(i, cell) for i, cell in enumerate(raw[width:], start=width) if text(cell)]
    if not extra:
        return None  # the empty cells after the header's last name hold nothing (Excel writes them as ;;)
    position, value = extra[0]
    # Translators: {cell} is a spreadsheet cell such as D2; {value!r} what it holds, in quotes.
    message = _(
        "cell {cell} ({value!r}) is to the right of the last column of the header row: "
        "give its column a name in row 1, or move the value into the right column."
    )
    return message.format(cell=f"{column_letters(position)}{number}", value=text(value))


def column_letters(index: int) -> str:
    """A spreadsheet's name for the column at 0-based `index`: A, B, … Z, AA, …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
