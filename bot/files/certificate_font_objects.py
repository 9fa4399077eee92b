"""A certificate's whole fonts written into the PDF from parts made once per process
(`bot.files.certificate_fonts` decides which fonts; this writes them).

fpdf2 gives a document's characters codes in the order it meets them, so for each document it
writes a font's widths, code-to-glyph and ToUnicode maps again and compresses them and the font
file (a third of writing a certificate). A font embedded whole, in a document whose text is not
shaped, has its characters' codes fixed for the process instead (`FixedCodes`), one per character
of the font, and all of that made once (`make_fixed`); fpdf2's `OutputProducer._add_fonts` is
wrapped to write such a font's objects from them: the same objects fpdf2 writes for an embedded
TrueType font (Type0 with Identity-H, CIDFontType2, ToUnicode, CIDSystemInfo, FontDescriptor,
CIDToGIDMap, FontFile2). Other documents' and other fonts' objects are fpdf2's own. (Relies on
fpdf2's output: pinned to 2.8.9 up, below 2.9, in pyproject.toml.)
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass

from fpdf import output as fpdf_output
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import CIDSystemInfo, PDFContentStream, PDFFont, _build_cmap_blocks, _cid_font_widths
from fpdf.syntax import Name, PDFArray, PDFObject


@dataclass(frozen=True)
class Fixed:
    """A whole font's codes (character -> code, the same in every document) and its PDF streams,
    compressed: the font file, the codes' glyphs (CIDToGIDMap), their characters (ToUnicode, so
    the text is extractable) and widths."""

    codes: dict[int, int]
    widths: str
    font_file: bytes
    font_file_size: int
    cid_to_gid: bytes
    to_unicode: bytes


def make_fixed(font: TTFFont, data: bytes) -> Fixed:
    """The `Fixed` parts of fpdf2's parsed `font`, whose file holds `data`. Codes run from 1 (0 is
    "no glyph" to fpdf2), far below the surrogates (0xD800) that fpdf2's UTF-16 could not write."""
    characters = sorted(code for code in font.glyph_ids if code > 0 and font.glyph_ids[code] is not None)
    # The space is code 32: fpdf2 spaces the words of justified lines by writing that code itself.
    numbers = (number for number in range(1, 0xD800) if number != 0x20)
    codes = {character: 0x20 if character == 0x20 else next(numbers) for character in characters}
    cid_to_gid = bytearray(2 * (max(codes.values(), default=0) + 1))
    for character, code in codes.items():
        cid_to_gid[2 * code : 2 * code + 2] = font.glyph_ids[character].to_bytes(2, "big")
    entries = [
        f"<{code:04X}> <{chr(character).encode('utf-16-be').hex().upper()}>\n" for character, code in codes.items()
    ]
    to_unicode = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
        "<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n"
        "/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{_build_cmap_blocks(entries, 'bfchar')}endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    return Fixed(
        codes=codes,
        widths=_cid_font_widths({code: int(font.cw[character]) for character, code in codes.items()}),
        font_file=zlib.compress(data),
        font_file_size=len(data),
        cid_to_gid=zlib.compress(bytes(cid_to_gid)),
        to_unicode=zlib.compress(to_unicode.encode("latin-1")),
    )


class FixedCodes(SubsetMap):
    """A document's `SubsetMap` for a `Fixed` font: a character's code is the font's, not the next free one."""

    def __init__(self, font: TTFFont, fixed: Fixed) -> None:  # no reserved codes: fpdf2's start
        self.font, self.fixed, self._codes = font, fixed, fixed.codes
        self._next, self._reserved, self._char_id_per_glyph = max(fixed.codes.values(), default=0) + 1, [], {}

    def pick(self, unicode: int) -> int | None:
        code = self._codes.get(unicode)
        if code is None and unicode not in self.font.missing_glyphs:
            self.font.missing_glyphs.append(unicode)
        return code

    def pick_glyph(self, glyph: object) -> int | None:
        """A glyph HarfBuzz chose (a shaped text): the code of the one character it is the glyph of.
        The font has no layout tables, so that is every glyph; any other is `Unfixed`."""
        if glyph is None:
            return None
        characters = glyph.unicode if isinstance(glyph.unicode, tuple) else ()
        if len(characters) == 1 and self.font.glyph_ids.get(characters[0]) == glyph.glyph_id:
            return self._codes.get(characters[0])
        raise Unfixed(f"glyph {glyph.glyph_id} of {self.font.fontkey} stands for {characters!r}")


class Unfixed(Exception):
    """A shaped glyph a `FixedCodes` font has no code for: the document is made again without them."""


def fixed_codes(font: object) -> dict[int, int] | None:
    """A document font's codes (character -> code) when they are fixed for the process (`_fixed`)."""
    subset = getattr(font, "subset", None)
    return subset.fixed.codes if isinstance(subset, FixedCodes) else None


class _Compressed(PDFContentStream):
    """A stream compressed already (once per process)."""

    def __init__(self, compressed: bytes, **entries: object) -> None:
        PDFObject.__init__(self)
        self._contents, self.filter, self.length = compressed, Name("FlateDecode"), len(compressed)
        for key, value in entries.items():
            setattr(self, key, value)


_fpdf_add_fonts = fpdf_output.OutputProducer._add_fonts


def _add_fonts(self, *args, **kwargs):
    """fpdf2's `OutputProducer._add_fonts`, with a `Fixed` font's objects from what is made once
    per process: the same objects fpdf2 writes for an embedded TrueType font (Type0 with Identity-H,
    CIDFontType2, ToUnicode, CIDSystemInfo, FontDescriptor, CIDToGIDMap, FontFile2)."""
    catalog = self.fpdf._resource_catalog
    registry = catalog.font_registry
    fixed = [font for font in registry.values() if isinstance(getattr(font, "subset", None), FixedCodes)]
    if not fixed:
        return _fpdf_add_fonts(self, *args, **kwargs)
    catalog.font_registry = {
        key: font for key, font in registry.items() if not isinstance(getattr(font, "subset", None), FixedCodes)
    }
    try:
        objects = _fpdf_add_fonts(self, *args, **kwargs)
    finally:
        catalog.font_registry = registry
    for font in fixed:
        parts, name = font.subset.fixed, f"MPDFAA+{font.name}"
        composite = PDFFont(subtype="Type0", base_font=name, encoding="Identity-H")
        self._add_pdf_obj(composite, "fonts")
        objects[font.i] = composite
        cid_font = PDFFont(subtype="CIDFontType2", base_font=name, d_w=font.desc.missing_width, w=parts.widths)
        self._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])
        composite.to_unicode = _Compressed(parts.to_unicode)
        self._add_pdf_obj(composite.to_unicode, "fonts")
        cid_font.c_i_d_system_info = CIDSystemInfo()
        self._add_pdf_obj(cid_font.c_i_d_system_info, "fonts")
        descriptor = copy.copy(font.desc)
        descriptor.font_name = Name(name)
        self._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor
        cid_font.c_i_d_to_g_i_d_map = _Compressed(parts.cid_to_gid)
        self._add_pdf_obj(cid_font.c_i_d_to_g_i_d_map, "fonts")
        descriptor.font_file2 = _Compressed(parts.font_file, length1=parts.font_file_size)
        self._add_pdf_obj(descriptor.font_file2, "fonts")
    return objects


fpdf_output.OutputProducer._add_fonts = _add_fonts
