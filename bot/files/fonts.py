"""Text in every script for printed badges and posters.

Pillow draws a string with one font and shows an empty box ("tofu", the font's
`.notdef` glyph) for every character that font lacks, and its bundled font
covers little beyond Latin. So `FallbackFont` splits text into runs by the
first font in a chain whose character map has the character (read with
fontTools, which is exact where guessing from rendered bitmaps is not) and
draws each run with its own font on a shared baseline.

The fonts come from Debian packages that `scripts/system-deps.sh` installs:
`fonts-dejavu-core` (Latin with diacritics, Greek, Cyrillic, also Hebrew and
Arabic letters), `fonts-droid-fallback` (Chinese, Japanese) and `fonts-nanum`
(Korean: Droid's fallback font has no Hangul syllables). Noto
and WenQuanYi are used instead when they are what is installed. With neither
kind present, `FontsMissing` names the packages to install: there is no
silent fallback to boxes.

Known limits. Right-to-left text (Arabic, Hebrew) is ordered and joined only
when Pillow has its optional raqm layout engine and the whole run is in one
font; otherwise its letters come out unjoined, left to right. Characters that
no installed font has (most emoji) are drawn by the first font, as its box.
Kerning between two runs in different fonts is not applied.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache

from fontTools.ttLib import TTFont
from PIL import ImageDraw, ImageFont

PACKAGES = ("fonts-dejavu-core", "fonts-droid-fallback", "fonts-nanum")
"""What `scripts/system-deps.sh` installs; named in `FontsMissing`."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0
    """Face number inside a .ttc collection."""
    bold: bool = False
    """A bold face; a regular face standing in for bold (no bold CJK in Droid) is drawn with a stroke."""


_DEBIAN = "/usr/share/fonts"
# Each group needs one font; the first that exists is used. Order inside a group is preference.
_LATIN_GREEK_CYRILLIC = {
    False: (
        FontFile(f"{_DEBIAN}/truetype/dejavu/DejaVuSans.ttf"),
        FontFile(f"{_DEBIAN}/truetype/noto/NotoSans-Regular.ttf"),
    ),
    True: (
        FontFile(f"{_DEBIAN}/truetype/dejavu/DejaVuSans-Bold.ttf", bold=True),
        FontFile(f"{_DEBIAN}/truetype/noto/NotoSans-Bold.ttf", bold=True),
        FontFile(f"{_DEBIAN}/truetype/dejavu/DejaVuSans.ttf"),
        FontFile(f"{_DEBIAN}/truetype/noto/NotoSans-Regular.ttf"),
    ),
}
_CJK = {
    False: (
        FontFile(f"{_DEBIAN}/truetype/droid/DroidSansFallbackFull.ttf"),
        FontFile(f"{_DEBIAN}/opentype/noto/NotoSansCJK-Regular.ttc"),
        FontFile(f"{_DEBIAN}/truetype/wqy/wqy-zenhei.ttc"),
    ),
    True: (
        FontFile(f"{_DEBIAN}/opentype/noto/NotoSansCJK-Bold.ttc", bold=True),
        FontFile(f"{_DEBIAN}/truetype/droid/DroidSansFallbackFull.ttf"),
        FontFile(f"{_DEBIAN}/opentype/noto/NotoSansCJK-Regular.ttc"),
        FontFile(f"{_DEBIAN}/truetype/wqy/wqy-zenhei.ttc"),
    ),
}


# Droid's fallback font has no Hangul syllables: Korean names need a font of their own.
_KOREAN = {
    False: (
        FontFile(f"{_DEBIAN}/truetype/nanum/NanumGothic.ttf"),
        FontFile(f"{_DEBIAN}/opentype/noto/NotoSansCJK-Regular.ttc"),
    ),
    True: (
        FontFile(f"{_DEBIAN}/truetype/nanum/NanumGothicBold.ttf", bold=True),
        FontFile(f"{_DEBIAN}/opentype/noto/NotoSansCJK-Bold.ttc", bold=True),
        FontFile(f"{_DEBIAN}/truetype/nanum/NanumGothic.ttf"),
        FontFile(f"{_DEBIAN}/opentype/noto/NotoSansCJK-Regular.ttc"),
    ),
}


class FontsMissing(RuntimeError):
    """The fonts for some script are not installed; the message says which packages to install."""


@cache
def font_chain(bold: bool = False) -> tuple[FontFile, ...]:
    """The fonts tried for each character, in order: Latin/Greek/Cyrillic first, then CJK."""
    chain = []
    groups = (
        (_LATIN_GREEK_CYRILLIC, "Latin, Greek and Cyrillic"),
        (_CJK, "Chinese and Japanese"),
        (_KOREAN, "Korean"),
    )
    for group, what in groups:
        found = next((font for font in group[bold] if os.path.isfile(font.path)), None)
        if found is None:
            raise FontsMissing(
                f"No font for {what} text is installed, so names would print as empty boxes. "
                f"Install the fonts as root: sudo apt-get install {' '.join(PACKAGES)} "
                "(scripts/system-deps.sh does it)."
            )
        chain.append(found)
    return tuple(chain)


@cache
def codepoints(font: FontFile) -> frozenset[int]:
    """Every character the font has a glyph for, from its cmap (cached: the CJK font's takes ~0.1 s to read)."""
    with TTFont(font.path, fontNumber=font.index, lazy=True) as ttf:
        return frozenset(ttf.getBestCmap() or ())


_ATTACHED = {"Mn", "Me", "Cf"}
"""Combining marks, variation selectors' kin and joiners stay with the character before them."""

_local = threading.local()


def _freetype(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    """One FreeType face per thread: a face must not be used by two threads at once."""
    faces = _local.__dict__.setdefault("faces", {})
    key = (font, size)
    if key not in faces:
        if len(faces) >= 64:  # shrink-to-fit tries many sizes; keep memory bounded
            faces.clear()
        faces[key] = ImageFont.truetype(font.path, size, index=font.index)
    return faces[key]


class FallbackFont:
    """A font chain at one pixel size: measures and draws text with a glyph for every character
    some installed font has."""

    def __init__(self, size: int, bold: bool = False):
        self.size = size
        self.chain = font_chain(bold)
        self._strokes = [max(1, round(size / 32)) if bold and not font.bold else 0 for font in self.chain]
        self.fonts = [_freetype(font, size) for font in self.chain]
        self._maps = [codepoints(font) for font in self.chain]
        # One line height for every line, whatever fonts it uses, so stacked lines are evenly spaced.
        metrics = [font.getmetrics() for font in self.fonts]
        self.ascent = max(ascent for ascent, _ in metrics)
        self.descent = max(descent for _, descent in metrics)

    def font_for(self, char: str) -> int:
        """Index in the chain of the first font that has `char`; 0 (its box) when none has."""
        code = ord(char)
        for number, cmap in enumerate(self._maps):
            if code in cmap:
                return number
        return 0

    def runs(self, text: str) -> list[tuple[str, int]]:
        """`text` (NFC-normalised, so "e" + combining diaeresis finds the precomposed "ë") as
        (piece, font index) runs. Spaces and combining marks stay in the run before them
        when its font has them, so a space does not break a run into two."""
        runs: list[tuple[str, int]] = []
        for char in unicodedata.normalize("NFC", text):
            number = self.font_for(char)
            if runs:
                piece, previous = runs[-1]
                joins = char.isspace() or unicodedata.category(char) in _ATTACHED
                if previous == number or (joins and ord(char) in self._maps[previous]):
                    runs[-1] = (piece + char, previous)
                    continue
            runs.append((char, number))
        return runs

    def length(self, text: str) -> float:
        """Advance width of `text` in pixels."""
        return sum(self.fonts[number].getlength(piece) for piece, number in self.runs(text))

    @property
    def line_height(self) -> int:
        return self.ascent + self.descent

    def draw(self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, fill=0, anchor: str = "la") -> None:
        """Draw one line. `anchor` is Pillow's two letters: horizontal l/m/r, then vertical
        a (top of the line), m (middle), s (baseline) or d (bottom of the line)."""
        horizontal, vertical = anchor[0], anchor[1]
        runs = self.runs(text)
        widths = [self.fonts[number].getlength(piece) for piece, number in runs]
        x, y = xy
        x -= {"l": 0, "m": sum(widths) / 2, "r": sum(widths)}[horizontal]
        baseline = (
            y
            + {
                "a": self.ascent,
                "m": (self.ascent - self.descent) / 2,
                "s": 0,
                "d": -self.descent,
            }[vertical]
        )
        for (piece, number), width in zip(runs, widths, strict=True):
            stroke = self._strokes[number]
            draw.text(
                (x, baseline),
                piece,
                fill=fill,
                font=self.fonts[number],
                anchor="ls",
                stroke_width=stroke,
                stroke_fill=fill,
            )
            x += width


def wrap(text: str, font: FallbackFont, max_width: float, split_words: bool = True, hyphens: bool = True) -> list[str]:
    """Greedy wrap by rendered width. Lines break at spaces, between Chinese/Japanese/Korean
    characters and (`hyphens`) after hyphens; a word still too long for a line is split
    anywhere when `split_words`, else left too long (for `fit_lines` to try a smaller size)."""

    def fits(candidate: str) -> bool:
        return font.length(candidate) <= max_width

    lines: list[str] = []
    current = ""
    for atom, glue in _atoms(text, hyphens):
        candidate = f"{current}{glue}{atom}" if current else atom
        if current and not fits(candidate):
            lines.append(current)
            candidate = atom
        current = candidate
        while split_words and len(current) > 1 and not fits(current):
            low, high = 1, len(current) - 1  # the longest prefix that fits, at least one character
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if fits(current[:middle]) else (low, middle - 1)
            lines.append(current[:low])
            current = current[low:]
    if current:
        lines.append(current)
    return lines


def _atoms(text: str, hyphens: bool) -> list[tuple[str, str]]:
    """(piece, glue before it) for every place a line may break."""
    atoms: list[tuple[str, str]] = []
    for number, word in enumerate(text.split()):
        glue = " " if number else ""
        piece = ""
        for char in word:
            if unicodedata.east_asian_width(char) in "WF" and not unicodedata.category(char).startswith("P"):
                if piece:
                    atoms.append((piece, glue))
                    glue = ""
                piece = char
                atoms.append((piece, glue))
                glue, piece = "", ""
                continue
            piece += char
            if hyphens and char == "-" and piece.strip("-"):
                atoms.append((piece, glue))
                glue, piece = "", ""
        if piece:
            atoms.append((piece, glue))
    return atoms


def ellipsize(text: str, font: FallbackFont, max_width: float) -> str:
    """`text` cut to fit `max_width`, with "…" where it was cut."""
    if font.length(text) <= max_width:
        return text
    while text and font.length(text.rstrip() + "…") > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def fit_lines(
    text: str, max_width: float, max_lines: int, largest: int, smallest: int, bold: bool = False
) -> tuple[FallbackFont, list[str]]:
    """The largest size from `largest` down to `smallest` at which `text` wraps into at most
    `max_lines` lines of `max_width` without splitting a word (breaking at spaces rather than
    hyphens when both fit); at `smallest`, words are split and the last line is cut with "…"
    if need be. Never wider than `max_width`, so long names cannot overflow a badge."""
    size = largest
    while True:
        font = FallbackFont(size, bold)
        for hyphens in (False, True):
            lines = wrap(text, font, max_width, split_words=False, hyphens=hyphens)
            if len(lines) <= max_lines and all(font.length(line) <= max_width for line in lines):
                return font, lines
        if size <= smallest:
            lines = wrap(text, font, max_width)
            if len(lines) > max_lines:
                cut = lines[max_lines - 1] + " " + lines[max_lines]
                lines = [*lines[: max_lines - 1], ellipsize(cut, font, max_width)]
            return font, lines
        size = max(smallest, int(size * 0.93))
