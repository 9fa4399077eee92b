"""Certificates of attendance as PDF: bytes in, bytes out.

A4 landscape, real text (selectable, searchable, read aloud), drawn with fpdf2 in embedded,
subset TrueType fonts from the chain `bot.files.fonts` finds (DejaVu for Latin, Greek,
Cyrillic and Arabic letters; Droid's fallback font for Chinese and Japanese; Nanum for Korean),
with fpdf2's per-character fallback between them. Arabic and Hebrew are shaped and ordered
with HarfBuzz (uharfbuzz) when the text holds any. The QR code of the verification link is
drawn as vector squares, so it prints sharp at any size.

Speed: the fonts and their PDF objects are prepared once per process where possible
(`bot.files.certificate_fonts`), the sessions table is drawn cell by cell, a plain one-line cell
is written without fpdf2's layout (`_Layout._cell`), and the QR code is made by
`bot.files.qr_matrix` with a fixed mask (`QR_MASK`).

Labels are in the attendee's language (`Certificate.language`); names and titles never.
"""

from __future__ import annotations

import contextlib
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import qrcode.constants
from babel.dates import format_date
from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import TextMode

from bot import i18n
from bot.files.certificate_font_objects import Unfixed
from bot.files.certificate_fonts import Fonts, fixed_codes
from bot.files.qr_matrix import qr_modules
from bot.i18n import _

INK = (20, 28, 45)
ACCENT = (31, 78, 121)
MUTED = (95, 100, 110)
# The verification QR code's mask. Any of the 8 is valid and every reader tries all of them;
# choosing the "best" (qrcode evaluates all 8 with the standard's penalty rules) cost 9.5 ms a
# document, a fixed one 1.4 ms.
QR_MASK = 2
_FAST_CELLS = True  # `_Layout._cell` writes plain cells itself (False: fpdf2's cell, for comparison)


@dataclass(frozen=True)
class SessionLine:
    title: str
    starts_at: datetime
    minutes: int
    credits: Decimal


@dataclass(frozen=True)
class Certificate:
    """Everything one certificate shows. Times are aware; `timezone` is the event's."""

    number: str
    event_name: str
    event_starts: datetime
    event_ends: datetime
    attendee_name: str
    attendee_id: str
    sessions: tuple[SessionLine, ...]
    total_credits: Decimal
    issuer: str
    statement: str
    issued_at: datetime
    verify_url: str
    timezone: ZoneInfo
    language: str = "en"


_one_at_a_time = threading.Lock()  # the fonts kept for the process are shared: one document at a time


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as an unsigned PDF (sign it with `bot.files.certificate_signing`). Threads
    take turns (the work is Python under the GIL anyway); processes build in parallel."""
    with _one_at_a_time, i18n.speaking(certificate.language):
        return _Layout(certificate).render()


def certificate_text(certificate: Certificate) -> str:
    """Every string the certificate prints, joined: what its fonts must cover."""
    parts = [certificate.event_name, certificate.attendee_name, certificate.issuer, certificate.statement]
    parts += [line.title for line in certificate.sessions]
    return "\n".join(parts)


# ---------------------------------------------------------------- layout


class _Layout:
    WIDTH, HEIGHT, MARGIN = 297.0, 210.0, 16.0
    QR_SIZE = 34.0

    def __init__(self, certificate: Certificate) -> None:
        self.c = certificate
        self.locale = i18n.babel_locale()
        self.pdf = FPDF(orientation="L", unit="mm", format="A4")
        self.pdf.set_compression(True)
        self.pdf.set_margins(self.MARGIN, self.MARGIN, self.MARGIN)
        self.pdf.set_auto_page_break(True, margin=self.MARGIN + 6)
        self.pdf.set_title(f"{_('Certificate of attendance')} {certificate.number}")
        self.pdf.set_author(certificate.issuer or certificate.event_name)
        self.pdf.set_subject(certificate.event_name)
        self.pdf.set_lang(certificate.language)
        self.pdf.set_creation_date(certificate.issued_at)
        self.pdf.set_producer("session-attendance-bot")

    def render(self, own_allowed: bool = True) -> bytes:
        fonts = self.fonts = Fonts(self.pdf, certificate_text(self.c), own_allowed)
        try:
            self.pdf.add_page()
            self._frame()
            self._head()
            self._table()
            self._foot()
            missing = any(font.missing_glyphs for key, font in self.pdf.fonts.items() if key.startswith("main"))
            if fonts.own and missing:  # a label or a date the document's own font lacks: the larger font then
                return _Layout(self.c).render(own_allowed=False)
            return bytes(self.pdf.output())
        except Unfixed:  # HarfBuzz chose a glyph the own font has no fixed code for
            return _Layout(self.c).render(own_allowed=False)
        finally:
            fonts.close()

    def _fits(self, text: str, width: float) -> bool:
        """`text` is on one line in a cell `width` wide: every character in the current font (a
        fallback font's are not measured by `get_string_width`), narrower than the cell's inside."""
        cmap = self.pdf.current_font.cmap
        if not text or "\n" in text or any(ord(char) not in cmap for char in text):
            return False
        return self.pdf.get_string_width(text) <= width - 2 * self.pdf.c_margin - 0.01

    @contextlib.contextmanager
    def _shaping(self, text: str) -> Iterator[None]:
        """HarfBuzz on for a text with right-to-left letters (`Fonts.rtl`): it orders and joins them.
        Other texts are laid out as in any certificate."""
        on = self.fonts.rtl and any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)
        if on:
            self.pdf.set_text_shaping(use_shaping_engine=True)
        try:
            yield
        finally:
            if on:
                self.pdf.set_text_shaping(use_shaping_engine=False)

    def _cell(self, width: float, height: float, text: str, align: str = "L", next_line: bool = False) -> None:
        """`pdf.cell(width, height, text, align=align)` (then to the next line's start when
        `next_line`), written here when the text is plain: one line, in a font whose codes are
        fixed for the process (`certificate_fonts.fixed_codes`) and that has every character, no
        shaping, spacing or stretching. fpdf2's cell splits the text into styled fragments, copies
        the graphics state and measures each, ~0.1 ms a cell, 35 cells a certificate; this writes
        the same operators (`tests/test_certificates.py` compares the content streams)."""
        pdf = self.pdf
        font = pdf.current_font
        codes = None if pdf.text_shaping or not text or "\n" in text else fixed_codes(font)
        plain = (
            codes is not None
            and pdf.font_stretching == 100
            and not pdf.char_spacing
            and pdf.text_mode == TextMode.FILL
            and pdf.font_style in ("", "B")
            and all(ord(char) in codes for char in text)
        )
        if not plain or not _FAST_CELLS:
            new_x, new_y = ("LMARGIN", "NEXT") if next_line else ("RIGHT", "TOP")
            with self._shaping(text):
                pdf.cell(width, height, text, align=align, new_x=new_x, new_y=new_y)
            return
        pdf._perform_page_break_if_need_be(height)
        k, size_pt = pdf.k, pdf.font_size_pt
        text_width = font.get_text_width(text, size_pt, None)[1] / k
        if align == "R":
            dx = width - pdf.c_margin - text_width
        elif align == "C":
            dx = (width - text_width) / 2
        else:
            dx = pdf.c_margin
        parts = [f"BT {(pdf.x + dx) * k:.2f} {(pdf.h - pdf.y - 0.5 * height - 0.3 * size_pt / k) * k:.2f} Td"]
        color = pdf.text_color
        if color != pdf.fill_color:
            parts.append(color.serialize().lower())
        if not pdf.current_font_is_set_on_page:
            pdf._out(pdf._set_font_for_page(font, size_pt))
        parts.append(f"({font.escape_text(''.join(chr(codes[ord(char)]) for char in text))}) Tj")
        parts.append("ET")
        pdf._out(f"q {' '.join(parts)} Q" if color != pdf.fill_color else " ".join(parts))
        pdf._lasth = height
        if next_line:
            pdf.x, pdf.y = pdf.l_margin, pdf.y + height
        else:
            pdf.x += width

    def _text(self, width: float, height: float, text: str, align: str = "J") -> None:
        """`multi_cell(...)` to the next line (justified by default, like fpdf2's), as a plain `cell`
        when the text fits on one line (a paragraph's last line is not justified): a multi_cell breaks
        the text into lines, which costs a third of the heading's and footer's layout."""
        if self._fits(text, width):
            self._cell(width, height, text, "L" if align == "J" else align, next_line=True)
        else:
            with self._shaping(text):
                self.pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")

    def _date(self, moment: datetime, form: str = "long") -> str:
        return format_date(moment.astimezone(self.c.timezone).date(), form, locale=self.locale)

    def _number(self, value: Decimal | int) -> str:
        return format_decimal(value, locale=self.locale)

    def _frame(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(1.2)
        pdf.rect(8, 8, self.WIDTH - 16, self.HEIGHT - 16)
        pdf.set_line_width(0.3)
        pdf.rect(10.5, 10.5, self.WIDTH - 21, self.HEIGHT - 21)

    def _head(self) -> None:
        pdf, c = self.pdf, self.c
        text_width = self.WIDTH - 2 * self.MARGIN - self.QR_SIZE - 8
        self._qr()
        pdf.set_xy(self.MARGIN, self.MARGIN + 2)
        pdf.set_text_color(*ACCENT)
        pdf.set_font("main", "B", 26)
        self._text(text_width, 11, _("Certificate of attendance"))
        pdf.set_text_color(*INK)
        pdf.set_font("main", "", 13)
        self._text(text_width, 7, c.event_name)
        pdf.set_text_color(*MUTED)
        pdf.set_font("main", "", 11)
        first, last = self._date(c.event_starts), self._date(c.event_ends)
        self._text(text_width, 6, first if first == last else f"{first} – {last}")
        pdf.ln(5)
        pdf.set_text_color(*INK)
        pdf.set_font("main", "", 12)
        self._text(text_width, 7, _("This certifies that"))
        pdf.set_font("main", "B", 22)
        self._text(text_width, 11, c.attendee_name)
        pdf.set_font("main", "", 12)
        self._text(
            text_width,
            7,
            _("attended the following sessions and is credited with {credits} credits.").format(
                credits=self._number(c.total_credits)
            ),
        )
        pdf.set_y(max(pdf.get_y(), self.MARGIN + self.QR_SIZE + 16) + 3)

    def _qr(self) -> None:
        pdf, c = self.pdf, self.c
        matrix = verification_qr(c.verify_url)
        x0 = self.WIDTH - self.MARGIN - self.QR_SIZE
        y0 = self.MARGIN
        module = self.QR_SIZE / len(matrix)
        k = pdf.k  # points per mm; PDF space runs upwards from the page's foot
        squares = []
        for row, cells in enumerate(matrix):
            column = 0
            while column < len(cells):
                if not cells[column]:
                    column += 1
                    continue
                start = column
                while column < len(cells) and cells[column]:
                    column += 1
                # A hair wider than the module, so neighbouring squares print without seams.
                x, y = x0 + start * module, y0 + row * module
                w, h = (column - start) * module + 0.02, module + 0.02
                squares.append(f"{x * k:.2f} {(self.HEIGHT - y - h) * k:.2f} {w * k:.2f} {h * k:.2f} re")
        pdf._out(f"q 0 g {' '.join(squares)} f Q")  # one path for the whole symbol: fpdf2's rect() per square is slow
        pdf.set_text_color(*MUTED)
        pdf.set_font("main", "", 7.5)
        pdf.set_xy(x0 - 8, y0 + self.QR_SIZE + 1.5)
        self._text(self.QR_SIZE + 16, 3.6, _("Scan to verify"), align="C")
        pdf.set_xy(x0 - 8, pdf.get_y())
        pdf.set_font("main", "B", 8)
        self._text(self.QR_SIZE + 16, 3.8, c.number, align="C")

    def _table(self) -> None:
        pdf, c = self.pdf, self.c
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.2)
        pdf.set_font("main", "", 10)
        headings = (_("Date"), _("Session"), _("Minutes"), _("Credits"))
        rows = [headings] + [
            (self._date(line.starts_at, "medium"), line.title, self._number(line.minutes), self._number(line.credits))
            for line in c.sessions
        ]
        # Drawn cell by cell (`_row`) rather than with fpdf2's table(), which lays every cell out
        # twice: measured, a third of a Latin certificate's build.
        for number, row in enumerate(rows):
            if number == 1:
                pdf.set_font("main", "", 10)
                pdf.set_text_color(*INK)
            self._row(row, heading=number == 0, rows_above=number > 0, again=headings)

        pdf.ln(1.5)
        pdf.set_font("main", "B", 11)
        total = _("Total: {credits} credits").format(credits=self._number(c.total_credits))
        self._cell(self.WIDTH - 2 * self.MARGIN - 20, 7, total, "R", next_line=True)

    _COLUMNS = ((38, "L"), (151, "L"), (28, "R"), (28, "R"))
    _ROW = 6.0

    def _row(self, row: tuple[str, ...], heading: bool, rows_above: bool, again: tuple[str, ...]) -> None:
        """One row of the sessions table at the current line: only the session's title may wrap; the
        row takes its height and the other cells sit in its middle; a line between rows. A row that
        does not fit goes to a new page, under the headings again."""
        pdf, height = self.pdf, self._ROW
        if heading:
            pdf.set_font("main", "B", 10)
            pdf.set_text_color(*ACCENT)
        width = self._COLUMNS[1][0] - 2 * pdf.c_margin
        if self._fits(row[1], width):
            titles = [row[1]]
        else:
            with self._shaping(row[1]):
                titles = pdf.multi_cell(width, height, row[1], dry_run=True, output="LINES")
        row_height = height * max(1, len(titles))
        if pdf.get_y() + row_height > pdf.page_break_trigger:
            pdf.add_page()
            self._row(again, heading=True, rows_above=False, again=again)
            pdf.set_font("main", "", 10)
            pdf.set_text_color(*INK)
            rows_above = True
        left, top = self.MARGIN, pdf.get_y()
        if rows_above:
            pdf.line(left, top, left + sum(width for width, _align in self._COLUMNS), top)
        x = left
        for column, (text, (width, align)) in enumerate(zip(row, self._COLUMNS, strict=True)):
            if column == 1:
                for index, title in enumerate(titles or [""]):
                    pdf.set_xy(x, top + index * height)
                    self._cell(width, height, title, align)
            else:
                pdf.set_xy(x, top + (row_height - height) / 2)
                self._cell(width, height, text, align)
            x += width
        pdf.set_xy(left, top + row_height)

    def _foot(self) -> None:
        pdf, c = self.pdf, self.c
        pdf.ln(4)
        width = self.WIDTH - 2 * self.MARGIN
        if c.statement:
            pdf.set_font("main", "", 9.5)
            pdf.set_text_color(*INK)
            self._text(width, 5, c.statement)
            pdf.ln(2)
        pdf.set_font("main", "", 9.5)
        pdf.set_text_color(*MUTED)
        if c.issuer:
            self._text(width, 5, _("Issued by {issuer}").format(issuer=c.issuer))
        details = _("Certificate number {number} · issued on {date}").format(
            number=c.number, date=self._date(c.issued_at)
        )
        self._text(width, 5, details)
        self._text(width, 5, _("Verify at {url}").format(url=c.verify_url))


def verification_qr(url: str) -> list[list[bool]]:
    """The modules of the verification link's QR code (error correction M, smallest version, mask
    `QR_MASK`): `qrcode`'s symbol, made by `bot.files.qr_matrix` (0.3 ms against 1.4-2.4)."""
    return qr_modules(url, qrcode.constants.ERROR_CORRECT_M, QR_MASK)
