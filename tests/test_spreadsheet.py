"""How `bot.files.spreadsheet` writes a sheet as XLSX, read back with openpyxl: text stays text
(whatever it looks like), characters XML cannot hold are dropped, the header is bold and frozen,
the filter covers the data, and the fast row writer gives the same workbook as XlsxWriter's own
`write_row`."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bot.files import spreadsheet
from bot.files.spreadsheet import Column, Sheet

COLUMNS = [Column("Name", 28), Column("When", 22), Column("Minutes", 10)]
AT = datetime(2026, 5, 14, 10, 0, 5)


def book(*sheets: Sheet):
    return load_workbook(io.BytesIO(spreadsheet.xlsx_bytes(list(sheets))))


def values(data: bytes, index: int = 0) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).worksheets[index].iter_rows(values_only=True))


def test_a_formula_looking_name_comes_back_as_the_literal_text():
    names = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=1+1", "http://example.org"]
    data = spreadsheet.xlsx_bytes([Sheet("People", COLUMNS, [[n, AT, 1] for n in names])])
    sheet = load_workbook(io.BytesIO(data))["People"]
    expected = ["'" + n for n in names[:-1]] + ["http://example.org"]
    expected[5] = "'_x000D_x"  # a carriage return is stored Excel's way, which openpyxl does not decode
    assert [c.value for c in sheet["A"][1:]] == expected
    assert all(c.data_type == "s" for c in sheet["A"][1:]), "text, not a formula"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in xml and "<hyperlink" not in xml
        assert not any(name.endswith(".rels") and "worksheets/_rels" in name for name in package.namelist())


def test_characters_xml_cannot_hold_are_dropped_and_the_rest_kept():
    rows = [
        ["Ada\x00\x07 Love\x1flace", AT, 1],
        ["\x08\x0b\x0c", AT, 2],  # nothing left: an empty cell
        ["tab\there, line\nbreak", AT, 3],
        ["lone \ud800 surrogate \ufffe", AT, 4],
        ["_x0041_ is literal & <kept>", AT, 5],
        [" edges ", AT, 6],
    ]
    got = values(spreadsheet.xlsx_bytes([Sheet("People", COLUMNS, rows)]))
    assert [r[0] for r in got[1:]] == [
        "Ada Lovelace",
        None,
        "tab\there, line\nbreak",
        "lone  surrogate ",
        "_x005F_x0041_ is literal & <kept>",  # Excel's escape of a literal _xHHHH_: Excel shows _x0041_
        " edges ",
    ]
    header = [Column("Na\x00me", 10)]
    assert values(spreadsheet.xlsx_bytes([Sheet("S", header, [])])) == [("Name",)]


def test_the_header_is_bold_and_frozen_the_filter_covers_the_data_and_widths_are_set():
    rows = [["Ada", AT, 30], ["Bob", None, None], ["", AT, 0]]
    workbook = book(Sheet("Check-ins", COLUMNS, rows), Sheet("Refused attempts", COLUMNS, []))
    sheet = workbook["Check-ins"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C4"
    assert all(cell.font.bold for cell in sheet[1]) and not any(cell.font.bold for cell in sheet[2])
    widths = [sheet.column_dimensions[c].width for c in "ABC"]
    assert widths[0] > widths[1] > widths[2] >= 10
    assert sheet["B2"].is_date and sheet["B2"].value == AT and sheet["B2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["C2"].value == 30 and sheet["A4"].value is None and sheet["C4"].value == 0
    empty = workbook["Refused attempts"]
    assert empty.auto_filter.ref == "A1:C1" and empty.freeze_panes == "A2"
    assert [c.value for c in empty[1]] == ["Name", "When", "Minutes"]


def test_sheet_names_xlsx_refuses_are_made_acceptable():
    titles = ["'Quoted'", "Same", "same", "History", "x" * 40, "x" * 40]
    workbook = book(*(Sheet(t, COLUMNS, []) for t in titles))
    assert workbook.sheetnames == ["Quoted", "Same", "same (2)", "History (2)", "x" * 31, "x" * 27 + " (2)"]


MIXED = [
    ["Ada", AT, 30, 1.25, Decimal("2.75"), True, date(2026, 5, 14), None, "", "=x", " edges ", "a & <b>"],
    ["Bob\x01", datetime(1900, 1, 1, 12), -4, 0.1, Decimal("0"), False, None, 3, "_x0009_", "x" * 40_000, "\t", "é"],
    [None, None, None, None, None, None, None, None, None, None, None, None],
    ["more", AT, 10**15, float("inf"), 5, None, None, None, None, None, None, None, "beyond the header"],
]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_fast_row_writer_gives_what_xlsxwriter_write_row_gives(monkeypatch, language):
    from bot import i18n

    columns = [Column(f"C{n}", 10) for n in range(12)]
    with i18n.speaking(language):
        fast = spreadsheet.xlsx_bytes([Sheet("A", columns, MIXED), Sheet("B", columns, MIXED[:1])])
        monkeypatch.setattr(spreadsheet, "_fast_rows", lambda worksheet: False)
        slow = spreadsheet.xlsx_bytes([Sheet("A", columns, MIXED), Sheet("B", columns, MIXED[:1])])
    for data in (fast, slow):
        assert load_workbook(io.BytesIO(data))["A"].auto_filter.ref == "A1:L5"
    fast_book, slow_book = load_workbook(io.BytesIO(fast)), load_workbook(io.BytesIO(slow))
    for name in ("A", "B"):
        fast_cells = [(c.coordinate, c.value, c.data_type, c.number_format) for r in fast_book[name] for c in r]
        slow_cells = [(c.coordinate, c.value, c.data_type, c.number_format) for r in slow_book[name] for c in r]
        assert fast_cells == slow_cells
        assert fast_book[name].dimensions == slow_book[name].dimensions
    sheet = fast_book["A"]
    assert sheet["J3"].value == "x" * 32_767, "cut to what a cell holds"
    assert sheet["D5"].value == "inf" and sheet["M5"].value == "beyond the header"
    assert sheet["A3"].value == "Bob" and sheet["I3"].value == "_x005F_x0009_"  # Excel shows _x0009_
