"""Certificates of attendance as PDF: bytes in, bytes out.

A4 landscape, real text (selectable, searchable, read aloud), drawn with fpdf2 in embedded,
subset TrueType fonts from the chain `bot.files.fonts` finds (DejaVu for Latin, Greek,
Cyrillic and Arabic letters; Droid's fallback font for Chinese and Japanese; Nanum for Korean),
with fpdf2's per-character fallback between them. Arabic and Hebrew are shaped and ordered
with HarfBuzz (uharfbuzz) when the text holds any. The QR code of the verification link is
drawn as vector squares, so it prints sharp at any size.

Speed: fpdf2 parses a whole font file each time a document adds it (DejaVu: ~0.3 s), and reads
every glyph of it again to subset it when it writes the document. So each process reduces the
Latin font once to a small core (`_CORE`, enough for most names) and once to the blocks any
certificate may use (`_BLOCKS`), kept in a temporary directory and parsed once; a Chinese,
Korean or Arabic font is cut down to the characters the process's documents have needed so far
(`_fallback`), only when a document has any; and the QR code's mask is fixed (`QR_MASK`).

Labels are in the attendee's language (`Certificate.language`); names and titles never.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import hashlib
import multiprocessing.util
import os
import tempfile
import threading
import types
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import qrcode
from babel.dates import format_date
from babel.numbers import format_decimal
from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf import output as fpdf_output
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont

from bot import i18n
from bot.files.fonts import FontFile, codepoints, font_chain
from bot.i18n import _

INK = (20, 28, 45)
ACCENT = (31, 78, 121)
MUTED = (95, 100, 110)
# What the reduced Latin font keeps: Latin with diacritics, Greek, Cyrillic, punctuation. Arabic and
# Hebrew come from the same font file cut down per document, like Chinese, so the common font stays small.
_BLOCKS = (
    (0x20, 0x24F),
    (0x2B0, 0x36F),
    (0x370, 0x52F),
    (0x1E00, 0x1FFF),
    (0x2000, 0x20CF),
    (0x2100, 0x215F),
    (0x2190, 0x21FF),
)
# The small font most certificates need (Western and Central European Latin, Greek, Russian and
# other common Cyrillic, general punctuation, the euro sign): 709 glyphs against 2,056, and fpdf2
# reads every glyph of the font again to subset it for each document (measured: 62 ms a Latin
# certificate against 78 ms). A document whose text needs more uses the `_BLOCKS` font.
_CORE = ((0x20, 0x7E), (0xA0, 0x17F), (0x370, 0x3FF), (0x400, 0x45F), (0x2000, 0x206F), (0x20AC, 0x20AC))
# The verification QR code's mask. Any of the 8 is valid and every reader tries all of them;
# choosing the "best" (qrcode evaluates all 8 with the standard's penalty rules) cost 9.5 ms a
# document, a fixed one 1.4 ms.
QR_MASK = 2
_RTL = {"R", "AL"}
GLYPH_NAMES = True  # post table names kept: reading them is quicker than deriving them from the cmap


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


# ---------------------------------------------------------------- fonts


@cache
def _font_dir() -> str:
    path = os.path.join(tempfile.gettempdir(), f"attendance-certificate-fonts-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    for name in os.listdir(path):  # fallback subsets of processes that ended without removing theirs
        pid = name.split("-")[1] if name.startswith("fallback-") else ""
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(path, name))
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _subset_to(font: FontFile, unicodes: list[int], target: str, features: list[str], plain: bool = False) -> str:
    """`font` cut down to `unicodes` with the layout `features` named, written atomically to
    `target` so that worker processes sharing the directory never read half a file. `plain`:
    without what fpdf2 drops from every embedded font anyway (layout tables) or what PDF viewers
    do not use (hinting), so that the per-document subset fpdf2 makes has less to read and write."""
    ttf = TTFont(font.path, fontNumber=font.index, recalcTimestamp=False, lazy=True)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=features, name_IDs=["*"])
    options.drop_tables += ["FFTM", "TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    if plain:
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "LTSH", "VDMX"]
        options.hinting = False
        options.glyph_names = GLYPH_NAMES
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(ttf)
    partial = f"{target}.{os.getpid()}.tmp"
    ttf.save(partial)
    os.replace(partial, target)
    return target


@cache
def _reduced(font: FontFile, shaped: bool = False, core: bool = False) -> str:
    """The first font of the chain reduced to `_BLOCKS` (`core`: to `_CORE`), once per process (and
    font file). Plain (no layout tables, no hinting) unless the document is `shaped` by HarfBuzz
    (right-to-left text), which reads the layout tables."""
    blocks = _CORE if core else _BLOCKS
    stamp = f"{font.path}:{font.index}:{os.path.getmtime(font.path)}:{blocks}:{shaped}:{GLYPH_NAMES}"
    target = os.path.join(_font_dir(), f"latin-{hashlib.sha256(stamp.encode()).hexdigest()[:16]}.ttf")
    if os.path.isfile(target):
        return target
    unicodes = [code for low, high in blocks for code in range(low, high + 1)]
    features = ["kern", "liga", "ccmp", "mark", "mkmk"] if shaped else []
    return _subset_to(font, unicodes, target, features, plain=not shaped)


@lru_cache(maxsize=80)
def _prototype(path: str) -> TTFFont:
    """fpdf2's parsed font for `path`, made once per process (parsing costs ~0.1 s a font); the
    reduced fonts' and the latest fallback subsets' (`_fallback`)."""
    return TTFFont(FPDF(), Path(path), "prototype", "")


# What every document's own font holds besides its text's characters: printable Latin-1 (the
# labels and dates of every language the bot speaks) and the punctuation babel and the labels use.
_BASE = frozenset(
    code
    for low, high in ((0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x202F, 0x203A), (0x20AC, 0x20AC))
    for code in range(low, high + 1)
)
_OWN_FONTS = 64  # documents' fonts kept per process, by the characters beyond `_BASE` they hold
_own: dict[tuple[str, frozenset[int]], str] = {}


def _own_font(font: FontFile, core_path: str, extra: frozenset[int]) -> str:
    """The core font cut down to `_BASE` and `extra` (the document's characters beyond it), made
    once per process for each such set: about 200 glyphs, embedded whole (`_Embedded`), so fpdf2
    does not cut a font down again for every document (about a third of building one). Latin
    names bring few sets (ł, ř, ş, ő...), so most documents find theirs made."""
    key = (core_path, extra)
    if key in _own:
        _own[key] = _own.pop(key)  # most recently used last
        return _own[key]
    digest = hashlib.sha256(repr((core_path, sorted(extra))).encode()).hexdigest()[:16]
    source = FontFile(core_path, 0)
    codes = sorted(code for code in _BASE | extra if code in _covered(font, True))
    target = _subset_to(
        source, codes, os.path.join(_font_dir(), f"fallback-{os.getpid()}-own-{digest}.ttf"), [], plain=True
    )
    _own[key] = target
    while len(_own) > _OWN_FONTS:
        with contextlib.suppress(OSError):
            os.remove(_own.pop(next(iter(_own))))
    return target


@lru_cache(maxsize=_OWN_FONTS)
def _file_bytes(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


class _Embedded(subset.Subsetter):
    """fpdf2's subsetter, which leaves a document's own font (`_own_font`) whole: it is small already."""

    def subset(self, font: TTFont) -> None:
        if not getattr(font, "embed_whole", False):
            super().subset(font)


fpdf_output.ftsubset = types.SimpleNamespace(Options=subset.Options, Subsetter=_Embedded)


def _add_font(pdf: FPDF, family: str, style: str, path: str, shared: bool, whole: bool = False) -> None:
    """`pdf.add_font`, but from a parsed font kept for the process when `shared`: the document gets
    a copy with its own glyph subset, and a fresh lazy handle on the file, since fpdf2 subsets a
    document's font in place when it writes the PDF. (Relies on fpdf2's TTFFont: pinned below 3.)"""
    if not shared:
        pdf.add_font(family, style, path)
        return
    font = copy.copy(_prototype(path))
    font.i = len(pdf.fonts) + 1
    font.fontkey = f"{family}{style}"
    font.emphasis = TextEmphasis.coerce(style)
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    # No bounding boxes recomputed at save: that would decompile and recompile every glyph kept,
    # and the reduced font's boxes are right already.
    font.ttfont = TTFont(path, recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.ttfont.embed_whole = whole
    if whole:  # fpdf2 saves the font it embeds: a whole font unchanged is its file's bytes
        data = _file_bytes(path)
        font.ttfont.save = lambda file, *args, **kwargs: file.write(data)
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


@cache
def _covered(font: FontFile, core: bool = False) -> frozenset[int]:
    """The characters the reduced font (`core`: the core font) has."""
    blocks = _CORE if core else _BLOCKS
    return frozenset(code for code in codepoints(font) if any(low <= code <= high for low, high in blocks))


FALLBACK_LIMIT = 64
"""Characters a process's kept fallback subset of one font may hold (a few dozen names' worth)."""
_fallbacks: dict[tuple[str, int], tuple[frozenset[int], str]] = {}


def _fallback(font: FontFile, codes: set[int]) -> tuple[str, bool]:
    """A subset of the fallback `font` (Chinese, Korean, Arabic...) with at least `codes`, and
    whether it is the document's own (to remove after it). Cutting a CJK font down costs 0.3-0.5 s
    whatever it keeps, so each process keeps one subset per font, grown with each document's new
    characters up to `FALLBACK_LIMIT`: a batch where names and titles repeat cuts it a few times,
    not once a document. Past the limit, a document with new characters gets a subset of its own,
    as if nothing were kept. Measured over 100 Chinese names drawn from 2,500 characters (nearly
    every document brings new ones): a kept font allowed 3,000 characters made each document
    slower than a subset per document, 571 ms against 492, one of 300 still 480 against 412; at
    64, 477 against 498. Where names repeat (the bench mix), 120 ms against 400."""
    key = (font.path, font.index)
    have, path = _fallbacks.get(key, (frozenset(), ""))
    if codes <= have:
        return path, False
    wanted = have | codes
    own = len(wanted) > FALLBACK_LIMIT
    if own:
        wanted = frozenset(codes)
    digest = hashlib.sha256(repr((key, sorted(wanted))).encode()).hexdigest()[:16]
    target = os.path.join(_font_dir(), f"fallback-{os.getpid()}-{digest}.ttf")
    _subset_to(font, sorted(wanted), target, ["*"])
    if not own:
        _fallbacks[key] = (wanted, target)
        if path:
            with contextlib.suppress(OSError):
                os.remove(path)
    return target, own


def _remove_fallbacks() -> None:
    for path in [path for _codes, path in _fallbacks.values()] + list(_own.values()):
        with contextlib.suppress(OSError):
            os.remove(path)
    _fallbacks.clear()
    _own.clear()


atexit.register(_remove_fallbacks)
# Worker processes end with os._exit, past atexit; multiprocessing runs its finalizers first.
multiprocessing.util.Finalize(None, _remove_fallbacks, exitpriority=0)


class _Fonts:
    """The families one document uses: "main" (regular, bold) and one per fallback font it needs."""

    def __init__(self, pdf: FPDF, text: str, core_allowed: bool = True) -> None:
        self.files: list[str] = []  # the document's own fallback subsets, removed after it
        regular, bold = font_chain(False), font_chain(True)
        shaped = any(unicodedata.bidirectional(char) in _RTL for char in text)
        needed = {ord(char) for char in unicodedata.normalize("NFC", text) if not char.isspace()}
        # The core font when it has every character of the text (the labels are Latin-1).
        self.core = core_allowed and not shaped and needed <= _covered(regular[0], True)
        if self.core:  # the document's own font: the core cut down to what it may print
            extra = frozenset(needed - _BASE)
            for style, chain in (("", regular), ("B", bold)):
                own = _own_font(chain[0], _reduced(chain[0], False, True), extra)
                _add_font(pdf, "main", style, own, shared=True, whole=True)
        else:
            _add_font(pdf, "main", "", _reduced(regular[0], shaped), shared=True)
            _add_font(pdf, "main", "B", _reduced(bold[0], shaped), shared=True)
        covered = set(_covered(regular[0], self.core))
        fallbacks = []
        for number, font in enumerate(regular):
            mine = sorted(code for code in needed - covered if code in codepoints(font))
            if not mine:
                continue
            covered.update(mine)
            target, own = _fallback(font, set(mine))
            if own:
                self.files.append(target)
            for style in ("", "B"):  # no bold Droid or Arabic face in the chain's order: the regular stands in
                _add_font(pdf, f"fallback{number}", style, target, shared=False)
            fallbacks.append(f"fallback{number}")
        if fallbacks:
            pdf.set_fallback_fonts(fallbacks, exact_match=False)
        if shaped:
            pdf.set_text_shaping(use_shaping_engine=True)

    def close(self) -> None:
        for path in self.files:
            with contextlib.suppress(OSError):
                os.remove(path)


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

    def render(self, core_allowed: bool = True) -> bytes:
        fonts = _Fonts(self.pdf, certificate_text(self.c), core_allowed)
        try:
            self.pdf.add_page()
            self._frame()
            self._head()
            self._table()
            self._foot()
            missing = any(font.missing_glyphs for key, font in self.pdf.fonts.items() if key.startswith("main"))
            if fonts.core and missing:  # a label or a date the core font lacks: the larger font then
                return _Layout(self.c).render(core_allowed=False)
            return bytes(self.pdf.output())
        finally:
            fonts.close()

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
        pdf.multi_cell(text_width, 11, _("Certificate of attendance"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
        pdf.set_font("main", "", 13)
        pdf.multi_cell(text_width, 7, c.event_name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*MUTED)
        pdf.set_font("main", "", 11)
        first, last = self._date(c.event_starts), self._date(c.event_ends)
        pdf.multi_cell(text_width, 6, first if first == last else f"{first} – {last}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(5)
        pdf.set_text_color(*INK)
        pdf.set_font("main", "", 12)
        pdf.multi_cell(text_width, 7, _("This certifies that"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("main", "B", 22)
        pdf.multi_cell(text_width, 11, c.attendee_name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("main", "", 12)
        pdf.multi_cell(
            text_width,
            7,
            _("attended the following sessions and is credited with {credits} credits.").format(
                credits=self._number(c.total_credits)
            ),
            new_x="LMARGIN",
            new_y="NEXT",
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
        pdf.multi_cell(self.QR_SIZE + 16, 3.6, _("Scan to verify"), align="C")
        pdf.set_xy(x0 - 8, pdf.get_y())
        pdf.set_font("main", "B", 8)
        pdf.multi_cell(self.QR_SIZE + 16, 3.8, c.number, align="C")

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
        pdf.cell(self.WIDTH - 2 * self.MARGIN - 20, 7, total, align="R", new_x="LMARGIN", new_y="NEXT")

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
        titles = pdf.multi_cell(self._COLUMNS[1][0] - 2 * pdf.c_margin, height, row[1], dry_run=True, output="LINES")
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
                    pdf.cell(width, height, title, align=align)
            else:
                pdf.set_xy(x, top + (row_height - height) / 2)
                pdf.cell(width, height, text, align=align)
            x += width
        pdf.set_xy(left, top + row_height)

    def _foot(self) -> None:
        pdf, c = self.pdf, self.c
        pdf.ln(4)
        width = self.WIDTH - 2 * self.MARGIN
        if c.statement:
            pdf.set_font("main", "", 9.5)
            pdf.set_text_color(*INK)
            pdf.multi_cell(width, 5, c.statement, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        pdf.set_font("main", "", 9.5)
        pdf.set_text_color(*MUTED)
        if c.issuer:
            pdf.multi_cell(width, 5, _("Issued by {issuer}").format(issuer=c.issuer), new_x="LMARGIN", new_y="NEXT")
        details = _("Certificate number {number} · issued on {date}").format(
            number=c.number, date=self._date(c.issued_at)
        )
        pdf.multi_cell(width, 5, details, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(width, 5, _("Verify at {url}").format(url=c.verify_url), new_x="LMARGIN", new_y="NEXT")


def verification_qr(url: str) -> list[list[bool]]:
    """The modules of the verification link's QR code (error correction M, smallest version, mask
    `QR_MASK`)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0, mask_pattern=QR_MASK)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()
