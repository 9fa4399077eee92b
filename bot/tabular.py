"""Cells for spreadsheets: escaping and CSV bytes.

A cell that starts with `=`, `+`, `-` or `@` (or a tab / carriage return,
which some programs strip first) is prefixed with an apostrophe, so a
spreadsheet shows it as text instead of running it as a formula. Names come
from Telegram profiles, which anyone can set.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
