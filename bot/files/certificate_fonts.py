"""The fonts of a certificate of attendance (`bot.files.certificate_pdf`), prepared once per process
where possible, since fpdf2 parses a whole font file each time a document adds it (DejaVu: ~0.3 s)
and reads every glyph of it again to subset it when it writes the document:

* the Latin font reduced once to a core (`_CORE`, enough for most names) and once to the blocks
  any certificate may use (`_BLOCKS`), kept in a temporary directory and parsed once (`_reduced`,
  `_prototype`);
* for every document its own font: the core (or, for a text the core lacks, the `_BLOCKS` font)
  cut down to printable Latin-1, the labels' punctuation and the text's other characters it has,
  made once per process for each such set and embedded whole (`_own_font`, `_Embedded`);
* a Chinese, Korean or Arabic fallback font cut down to the characters the process's documents
  have needed, kept up to `FALLBACK_LIMIT` characters (`_fallback`), embedded whole too.

The own fonts and the fallback fonts (but one that supplies right-to-left letters, whose glyphs
HarfBuzz chooses) have their characters' codes fixed for the process, and so their PDF objects
(widths, code-to-glyph and ToUnicode maps, the compressed font file) made once (`_fixed`,
`bot.files.certificate_font_objects`): fpdf2 would number a document's characters in the order it
meets them and write and compress all of that for each document. A Latin certificate: 9.6 ms
against 17.8 (the QR code's change included); the pages the same to the pixel and the text
extracted the same.

Measured in the bench mix, after the first third of 600 documents: a Chinese or Korean
certificate 24 ms against 65-70 ms, an Arabic one 49 against 116, when fpdf2 cut the `_BLOCKS`
font and the fallback font (twice, for bold) down again for each (the pages the same to the pixel).
An Arabic certificate then 15 ms against 56 when only the texts with right-to-left letters are
shaped (the layout turns HarfBuzz on for them, `Fonts.rtl`) and the main font is the plain own font
of any certificate: the Latin text around the name is no longer kerned by HarfBuzz, as in every
other certificate (a heading about 1 % wider); the Arabic the same to the pixel, the text extracted the same.

The reduced fonts and the documents' own fonts stay on disk for the next processes (a batch's
workers start afresh; an own font unused for `OWN_FONT_DAYS` is removed); fallback subsets are
removed when their process ends, or by the next one if it was killed. A batch's workers cut each
fallback font down once to the whole batch's characters (`prepare`). Documents are built one at a
time per process (`certificate_pdf`'s lock): these are shared.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import hashlib
import multiprocessing.util
import os
import shutil
import stat
import tempfile
import time
import types
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf import output as fpdf_output
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont

from bot.files.certificate_font_objects import Fixed, FixedCodes, make_fixed
from bot.files.certificate_font_objects import fixed_codes as fixed_codes
from bot.files.fonts import FontFile, codepoints, font_chain

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
_RTL = {"R", "AL"}
GLYPH_NAMES = True  # post table names kept: reading them is quicker than deriving them from the cmap


OWN_FONT_DAYS = 30
"""A document's own font (`_own_font`) stays on disk this long after a process last used it."""


@cache
def _font_dir() -> str:
    """The fonts' directory, shared by this user's processes. One that another user could have made
    or can write to (the temporary directory is everyone's) is not used: its fonts would go into the
    certificates; a private directory of this process's own is used instead."""
    path = os.path.join(tempfile.gettempdir(), f"attendance-certificate-fonts-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    held = os.lstat(path)
    if stat.S_ISLNK(held.st_mode) or held.st_uid != os.getuid() or held.st_mode & 0o077:
        own = tempfile.mkdtemp(prefix="attendance-certificate-fonts-")
        atexit.register(shutil.rmtree, own, ignore_errors=True)
        return own
    unused_since = time.time() - OWN_FONT_DAYS * 86400
    for name in os.listdir(path):  # fallback subsets of processes that ended without removing theirs
        pid = name.split("-")[1] if name.startswith("fallback-") else ""
        with contextlib.suppress(OSError):
            if pid.isdigit() and not _alive(int(pid)):
                os.remove(os.path.join(path, name))
            elif name.startswith("own-") and os.path.getmtime(os.path.join(path, name)) < unused_since:
                os.remove(os.path.join(path, name))  # a document's font no process has used for weeks
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
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=features, name_IDs=["*"])
    options.drop_tables += ["FFTM", "TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]
    if plain:
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "LTSH", "VDMX"]
        options.hinting = False
        options.glyph_names = GLYPH_NAMES
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    partial = f"{target}.{os.getpid()}.tmp"
    with TTFont(font.path, fontNumber=font.index, recalcTimestamp=False, lazy=True) as ttf:  # the file closed after
        subsetter.subset(ttf)
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
    """fpdf2's parsed font for `path`, made once per process (parsing costs ~0.1 s a font): the
    reduced fonts', the documents' own fonts' (`_own_font`) and the fallback subsets' (`_fallback`)."""
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


def _own_font(font: FontFile, base_path: str, extra: frozenset[int], core: bool = True) -> str:
    """The reduced font at `base_path` (the core, or `_BLOCKS` when `core` is false) cut down to
    `_BASE` and `extra` (the document's characters beyond it that the font has), plain, made once
    per process for each such set and kept on disk for the next processes (60 ms each to make):
    about 200 glyphs, embedded whole (`_Embedded`), so fpdf2 does not cut a font down again for
    every document (about a third of building one). Latin names bring few sets (ł, ř, ş, ő...), so
    most documents find theirs made; a Chinese, Korean or Arabic name brings none (its letters come
    from a fallback font)."""
    key = (base_path, extra)
    if key in _own and os.path.isfile(_own[key]):
        _own[key] = _own.pop(key)  # most recently used last
        return _own[key]
    digest = hashlib.sha256(repr((base_path, sorted(extra), GLYPH_NAMES)).encode()).hexdigest()[:16]
    target = os.path.join(_font_dir(), f"own-{digest}.ttf")
    if os.path.isfile(target):  # made by another process, or an earlier one: kept on disk (`_font_dir`)
        with contextlib.suppress(OSError):
            os.utime(target)
    else:
        codes = sorted(code for code in _BASE | extra if code in _covered(font, core))
        _subset_to(FontFile(base_path, 0), codes, target, [], plain=True)
    _own[key] = target
    while len(_own) > _OWN_FONTS:
        del _own[next(iter(_own))]
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


def _add_font(pdf: FPDF, family: str, style: str, path: str, whole: bool = False, fixed: bool = False) -> None:
    """`pdf.add_font`, but from a parsed font kept for the process: the document gets a copy with
    its own glyph subset, and a fresh lazy handle on the file, since fpdf2 subsets a document's font
    in place when it writes the PDF. `whole`: embedded as it is. `fixed` (a whole font without
    joining forms for HarfBuzz to choose): with the codes and font objects made once per process
    (`_fixed`).
    (Relies on fpdf2's TTFFont and output: pinned to 2.8.9 up, below 2.9, in pyproject.toml.)"""
    font = copy.copy(_prototype(path))
    font.i = len(pdf.fonts) + 1
    font.fontkey = f"{family}{style}"
    font.emphasis = TextEmphasis.coerce(style)
    font.biggest_size_pt = 0
    font.missing_glyphs = []
    if fixed:  # nothing reads or changes the file's font for the document: the prototype's stands
        font.subset = FixedCodes(font, _fixed(path))
        pdf.fonts[font.fontkey] = font
        return
    # No bounding boxes recomputed at save: that would decompile and recompile every glyph kept,
    # and the reduced font's boxes are right already.
    font.ttfont = TTFont(path, recalcTimestamp=False, recalcBBoxes=False, lazy=True)
    font.ttfont.embed_whole = whole
    if whole:  # fpdf2 saves the font it embeds: a whole font unchanged is its file's bytes
        data = _file_bytes(path)
        font.ttfont.save = lambda file, *args, **kwargs: file.write(data)
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


@lru_cache(maxsize=_OWN_FONTS)
def _fixed(path: str) -> Fixed:
    """A whole font's codes and PDF objects' parts, made once per process (`certificate_font_objects`)."""
    return make_fixed(_prototype(path), _file_bytes(path))


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


def prepare(text: str) -> None:
    """Before a batch (a worker process's start): each fallback font cut down once to every
    character of `text` (the batch's certificates' texts) it will supply, when they fit the kept
    subset (`FALLBACK_LIMIT`), rather than grown name by name as documents bring new characters
    (0.2-0.5 s each time). Past the limit, documents grow it as they come. A head start only: it
    raises nothing (fonts not installed, a font that cannot be cut down), since a pool whose
    initializer fails reports only that a worker ended; the documents meet the problem and say it."""
    with contextlib.suppress(Exception):
        regular = font_chain(False)
        # What the main font has when a fallback font is needed: the `_BLOCKS` font's characters.
        for _number, font, mine in _supplied(regular, _needed(text), _covered(regular[0])):
            have = _fallbacks.get((font.path, font.index), (frozenset(), ""))[0]
            if len(have | mine) <= FALLBACK_LIMIT:
                _fallback(font, mine)


def _needed(text: str) -> set[int]:
    """The characters `text` prints: composed (NFC), white space left out."""
    return {ord(char) for char in unicodedata.normalize("NFC", text) if not char.isspace()}


def _supplied(
    chain: tuple[FontFile, ...], needed: set[int], covered: frozenset[int]
) -> list[tuple[int, FontFile, set[int]]]:
    """(number in the chain, font, its characters) for each font of the chain that supplies some
    of `needed` beyond `covered` (the main font's): each character from the first font that has it."""
    supplied, covered = [], set(covered)
    for number, font in enumerate(chain):
        mine = {code for code in needed - covered if code in codepoints(font)}
        if mine:
            covered |= mine
            supplied.append((number, font, mine))
    return supplied


def _remove_fallbacks() -> None:
    for _codes, path in _fallbacks.values():
        with contextlib.suppress(OSError):
            os.remove(path)
    _fallbacks.clear()


atexit.register(_remove_fallbacks)
# Worker processes end with os._exit, past atexit; multiprocessing runs its finalizers first.
multiprocessing.util.Finalize(None, _remove_fallbacks, exitpriority=0)


class Fonts:
    """The families one document uses: "main" (regular, bold) and one per fallback font it needs."""

    def __init__(self, pdf: FPDF, text: str, own_allowed: bool = True) -> None:
        self.files: list[str] = []  # the document's own fallback subsets, removed after it
        regular, bold = font_chain(False), font_chain(True)
        shaped = any(unicodedata.bidirectional(char) in _RTL for char in text)
        needed = _needed(text)
        # The core font when it has every character of the text (the labels are Latin-1), else `_BLOCKS`.
        core = needed <= _covered(regular[0], True)
        # `own`: the document's own font, cut down to what it may print (`_own_font`), plain and with
        # codes fixed for the process; a text with right-to-left letters is shaped by HarfBuzz where
        # it has them (`rtl`, the layout turns shaping on for those texts). Without (a label or date
        # the own font lacks, a glyph HarfBuzz chose that it has no code for): the reduced font, which
        # fpdf2 cuts down for the document, and every text shaped, as for any right-to-left text before.
        self.own = own_allowed
        self.rtl = shaped and own_allowed
        if self.own:
            for style, chain in (("", regular), ("B", bold)):
                extra = frozenset(needed - _BASE) & _covered(chain[0], core)
                own = _own_font(chain[0], _reduced(chain[0], False, core), extra, core)
                _add_font(pdf, "main", style, own, whole=True, fixed=True)
        else:
            _add_font(pdf, "main", "", _reduced(regular[0], shaped))
            _add_font(pdf, "main", "B", _reduced(bold[0], shaped))
            core = False
        fallbacks = []
        for number, font, mine in _supplied(regular, needed, _covered(regular[0], core)):
            target, own = _fallback(font, mine)
            if own:
                self.files.append(target)
            # Embedded whole: a subset of the document's or the process's few dozen characters. Regular
            # only: the chain has no bold Droid or Arabic face, so bold text takes the regular one. Its
            # codes fixed unless it is the document's own or supplies right-to-left letters (shaped:
            # its glyphs are the letters' joining forms).
            rtl = any(unicodedata.bidirectional(chr(code)) in _RTL for code in mine)
            _add_font(pdf, f"fallback{number}", "", target, whole=True, fixed=not own and not rtl)
            fallbacks.append(f"fallback{number}")
        if fallbacks:
            pdf.set_fallback_fonts(fallbacks, exact_match=False)
        if shaped and not self.rtl:
            pdf.set_text_shaping(use_shaping_engine=True)

    def close(self) -> None:
        for path in self.files:
            with contextlib.suppress(OSError):
                os.remove(path)
