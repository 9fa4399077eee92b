"""bot/files/printables.py and bot/files/fonts.py: badges, posters and the badge sheet PDF are
true size at 300 DPI, their QR codes read back, names in any script are drawn
with real glyphs (never the font's empty box), and long text never overflows."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFont, PdfParser

from bot.files import fonts
from bot.files.fonts import FallbackFont, FontsMissing, codepoints, fit_lines, font_chain
from bot.files.printables import BADGE_SIZE, PAGE_SIZE, badge_png, badge_pngs, badges_pdf, poster_png, poster_pngs
from bot.files.qr import build_qr, decode_qr, qr_png

NAMES = ["Zoë Łukasiewicz-Ørsted", "Αλέξανδρος Παπαδόπουλος", "Анна Петрова", "王小明", "김민준 박서연"]
TOKEN = "B1:REG-0042:1:ABCDEFGHIJKLMNOP"
LINK = "https://t.me/attendance_bot?start=SL001"
EVENT = "Open Data Days 2026"
LONG_NAME = "Maximilian-Alexander Wolfeschlegelsteinhausenbergerdorff von Hohenzollern-Sigmaringen " * 3
MISSING = "\uffff"
"""A noncharacter: no font maps it, so a font draws its .notdef box for it."""

_draw_text = ImageDraw.ImageDraw.text


class DrawnText:
    """Every `ImageDraw.text` call made while rendering: the text, its font and its box."""

    def __init__(self):
        self.calls: list[tuple[str, ImageFont.FreeTypeFont, tuple[float, float, float, float]]] = []

    def __call__(self, draw, xy, text, fill=None, font=None, anchor=None, *args, **kwargs):
        box = draw.textbbox(xy, text, font=font, anchor=anchor, stroke_width=kwargs.get("stroke_width", 0))
        self.calls.append((text, font, box))
        return _draw_text(draw, xy, text, fill, font, anchor, *args, **kwargs)

    @property
    def text(self) -> str:
        return "".join(text for text, _, _ in self.calls)


@pytest.fixture
def drawn(monkeypatch) -> DrawnText:
    spy = DrawnText()
    monkeypatch.setattr(ImageDraw.ImageDraw, "text", lambda draw, *args, **kwargs: spy(draw, *args, **kwargs))
    return spy


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    image = Image.new("L", (font.size * 3, font.size * 3), 0)
    _draw_text(ImageDraw.Draw(image), (font.size, font.size), char, 255, font)
    return image.tobytes()


def _boxes(drawn: DrawnText) -> list[str]:
    """The characters drawn as the font's missing-glyph box: the rendered glyph equals the
    one for a codepoint no font has, or the font file's cmap lacks the character."""
    boxes = []
    for text, font, _ in drawn.calls:
        for char in text:
            if char.isspace():
                continue
            on_disk = isinstance(font.path, str)  # Pillow's bundled font is loaded from memory
            in_cmap = not on_disk or ord(char) in codepoints(fonts.FontFile(font.path, font.index))
            if not in_cmap or _glyph(font, char) == _glyph(font, MISSING):
                boxes.append(char)
    return boxes


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _quiet_zone(image: Image.Image, data: str) -> tuple[float, float, float, float]:
    """Where the QR code and its 4-module quiet zone are, from the decoder's corner positions."""
    (result,) = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert result.text == data
    corners = [result.position.top_left, result.position.top_right, result.position.bottom_left]
    corners.append(result.position.bottom_right)
    xs, ys = [point.x for point in corners], [point.y for point in corners]
    module = (max(xs) - min(xs)) / len(build_qr(data).get_matrix())
    return (min(xs) - 4 * module, min(ys) - 4 * module, max(xs) + 4 * module, max(ys) + 4 * module)


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _assert_text_inside(drawn: DrawnText, size: tuple[int, int], qr_area, margin: int = 20):
    for text, _, box in drawn.calls:
        left, top, right, bottom = box
        assert margin <= left and right <= size[0] - margin and margin <= top and bottom <= size[1] - margin, text
        assert not _overlaps(box, qr_area), f"{text!r} is in the QR code's quiet zone"


# ---------------------------------------------------------------- glyphs in every script


@pytest.mark.parametrize("name", NAMES)
def test_every_character_has_a_font_with_its_glyph(name):
    font = FallbackFont(60, bold=True)
    for char in name.replace(" ", ""):
        chosen = font.chain[font.font_for(char)]
        assert ord(char) in codepoints(chosen), (char, chosen)


@pytest.mark.parametrize("name", NAMES)
def test_a_badge_draws_every_name_with_real_glyphs(drawn, name):
    png = badge_png(TOKEN, name, "REG-0042", "Αθήνα Open Data 2026 · 开放数据")
    assert all(char in drawn.text for char in name)
    assert _boxes(drawn) == []
    assert decode_qr(png) == [TOKEN]


@pytest.mark.parametrize("name", NAMES)
def test_a_poster_draws_every_title_with_real_glyphs(drawn, name):
    png = poster_png(LINK, f"Workshop: {name}", "Зал Б", "Thu 11 Jun 09:30–10:30", EVENT)
    assert all(char in drawn.text for char in name)
    assert _boxes(drawn) == []
    assert decode_qr(png) == [LINK]


def test_the_chat_badge_caption_draws_every_name_with_real_glyphs(drawn):
    png = qr_png(TOKEN, [*NAMES, "REG-0042"])
    assert all(char in drawn.text for char in "".join(NAMES))
    assert _boxes(drawn) == []
    assert decode_qr(png) == [TOKEN]


def test_the_check_catches_a_box(drawn):
    """The glyph check itself: Pillow's bundled font has no Chinese, so it draws boxes."""
    ImageDraw.Draw(Image.new("L", (400, 100))).text((0, 0), "Ada 王小明", font=ImageFont.load_default(size=40))
    assert _boxes(drawn) == list("王小明")


def test_without_the_fonts_the_error_names_the_packages(monkeypatch):
    monkeypatch.setattr(fonts, "_CJK", {False: (fonts.FontFile("/nonexistent.ttf"),)} | {True: ()})
    font_chain.cache_clear()
    try:
        with pytest.raises(FontsMissing, match="apt-get install fonts-dejavu-core fonts-droid-fallback"):
            badge_png(TOKEN, "Ada", "REG-1", EVENT)
    finally:
        font_chain.cache_clear()


def test_names_wrap_at_spaces_and_shrink_instead_of_splitting_words():
    font, lines = fit_lines("Αλέξανδρος Παπαδόπουλος", 1110, 2, largest=100, smallest=40, bold=True)
    assert lines == ["Αλέξανδρος", "Παπαδόπουλος"] and font.size == 100
    font, lines = fit_lines("Zoë Łukasiewicz-Ørsted", 1110, 2, largest=100, smallest=40, bold=True)
    assert lines == ["Zoë", "Łukasiewicz-Ørsted"]
    font, lines = fit_lines("Wolfeschlegelsteinhausenbergerdorff", 1110, 2, largest=100, smallest=40, bold=True)
    assert lines == ["Wolfeschlegelsteinhausenbergerdorff"] and font.size < 100


# ---------------------------------------------------------------- badges


def test_a_badge_is_4_by_3_inches_at_300_dpi_and_its_code_reads_back():
    png = badge_png(TOKEN, "Анна Петрова", "REG-0042", EVENT)
    image = _image(png)
    assert (image.format, image.size) == ("PNG", BADGE_SIZE) == ("PNG", (1200, 900))
    assert tuple(round(value) for value in image.info["dpi"]) == (300, 300)
    for decoder in ("zxing", "pyzbar"):
        assert decode_qr(png, decoder) == [TOKEN], decoder
    left, top, right, bottom = _quiet_zone(image, TOKEN)
    assert right - left >= 0.4 * image.height, "the code is large enough to scan from a step away"
    assert left >= -1 and top >= -1 and right <= image.width + 1 and bottom <= image.height + 1


def test_a_very_long_name_and_id_stay_inside_the_badge_and_out_of_the_quiet_zone(drawn):
    image = _image(badge_png(TOKEN, LONG_NAME, "REG-" + "9" * 60, EVENT + " " + "Extra Long Event Name " * 5))
    _assert_text_inside(drawn, BADGE_SIZE, _quiet_zone(image, TOKEN), margin=0)
    names = [text for text, font, _ in drawn.calls if font.size >= 40 and text[:3] in LONG_NAME]
    assert 1 <= len(names) <= 2, names


def test_badges_pdf_has_five_badges_a_page_at_a4():
    badges = [(f"B1:REG-{n:04}:1:ABCDEFGHIJKLMNOP", name, f"REG-{n:04}") for n, name in enumerate(NAMES * 2)][:6]
    pdf = badges_pdf(badges, EVENT)
    assert pdf.startswith(b"%PDF")
    parser = PdfParser.PdfParser(buf=pdf)
    assert len(parser.pages) == 2
    for page in parser.pages:
        width, height = (float(value) for value in parser.read_indirect(page)[b"MediaBox"][2:])
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297), "A4 at true size"


MM = 300 / 25.4  # pixels a millimetre at 300 DPI


def _flat_badge(value: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", BADGE_SIZE, value).save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def test_the_badge_sheet_keeps_a_printable_margin_gaps_to_cut_and_marks_off_the_badges():
    from bot.files.printables import SHEET_SLOTS, _sheet

    assert len(SHEET_SLOTS) == 5, "five 4 × 3 in badges fit an A4 page with 5 mm margins, no more"
    width, height = PAGE_SIZE
    for left, top, right, bottom in SHEET_SLOTS:
        assert sorted((right - left, bottom - top)) == [900, 1200], "true size, upright or turned"
        assert min(left, top, width - right, height - bottom) >= 5 * MM, "inside what office printers print"
    for n, a in enumerate(SHEET_SLOTS):
        for b in SHEET_SLOTS[n + 1 :]:
            apart = max(b[0] - a[2], a[0] - b[2], b[1] - a[3], a[1] - b[3])
            assert apart >= 5 * MM, "a gap to cut on each side"
    full = _sheet([_flat_badge(0)] * 5, 1, 1, EVENT).convert("L")
    for slot in SHEET_SLOTS:
        assert full.crop(slot).getextrema() == (0, 0), "each badge where its slot is"
    blank = _sheet([_flat_badge(255)] * 5, 1, 1, EVENT).convert("L")
    for slot in SHEET_SLOTS:
        assert blank.crop(slot).getextrema() == (255, 255), "no mark crosses a badge"
    inner = (round(5 * MM), round(5 * MM), width - round(5 * MM), height - round(5 * MM))
    ink = blank.point(lambda v: 255 - v)
    assert ink.getbbox() and ink.crop(inner).getbbox() and ink.getbbox() == _offset(ink.crop(inner).getbbox(), inner)
    # A cut mark in line with every edge of every badge, in the margin.
    for left, top, right, bottom in SHEET_SLOTS:
        for x in (left, right - 1):
            assert _dark(blank, (x - 2, 0, x + 3, top)) or _dark(blank, (x - 2, bottom, x + 3, height)), (x, top)
        for y in (top, bottom - 1):
            assert _dark(blank, (0, y - 2, left, y + 3)) or _dark(blank, (right, y - 2, width, y + 3)), (y, left)


def _offset(box, origin):
    return (box[0] + origin[0], box[1] + origin[1], box[2] + origin[0], box[3] + origin[1])


def _dark(image: Image.Image, box) -> bool:
    return image.crop(box).getextrema()[0] < 128


def test_an_empty_badge_list_still_makes_a_valid_pdf():
    assert len(PdfParser.PdfParser(buf=badges_pdf([], EVENT)).pages) == 1


# ---------------------------------------------------------------- posters


def test_a_poster_is_a4_at_300_dpi_and_its_code_reads_back(drawn):
    png = poster_png(LINK, "Opening keynote", "Main hall", "Thu 11 Jun 09:30–10:30", EVENT)
    image = _image(png)
    assert (image.format, image.size) == ("PNG", PAGE_SIZE) == ("PNG", (2480, 3508))
    assert tuple(round(value) for value in image.info["dpi"]) == (300, 300)
    assert decode_qr(png, "pyzbar") == [LINK]
    area = _quiet_zone(image, LINK)
    assert area[2] - area[0] >= 0.6 * image.width, "the code is large enough to scan across a corridor"
    assert drawn.text.count("Opening keynote") == 1, "the title once"
    for text in ("Main hall", "Thu 11 Jun 09:30–10:30", EVENT, "Scan with your phone camera to check in"):
        assert text in drawn.text
    _assert_text_inside(drawn, PAGE_SIZE, area, margin=100)


def test_a_poster_says_what_to_send_in_telegram_when_the_camera_does_not_open_the_link(drawn):
    image = _image(poster_png(LINK, "Opening keynote", "", "Thu 11 Jun 09:30–10:30", EVENT, "attendance_bot", "SL001"))
    said = " ".join(text for text, _, _ in drawn.calls)
    assert "Telegram" in said and "@attendance_bot" in said and "/start SL001" in said, said
    area = _quiet_zone(image, LINK)
    assert area[2] - area[0] >= 0.55 * image.width, "the code is still large enough to scan across a corridor"
    _assert_text_inside(drawn, PAGE_SIZE, area, margin=100)


def test_a_very_long_poster_title_stays_on_the_poster(drawn):
    image = _image(poster_png(LINK, LONG_NAME * 3, "Room " + "B" * 200, "Thu 11 Jun 09:30–10:30", EVENT * 8))
    _assert_text_inside(drawn, PAGE_SIZE, _quiet_zone(image, LINK), margin=100)


# ---------------------------------------------------------------- batches


def test_batches_over_worker_processes_give_the_sequential_results():
    badge_jobs = [(f"B1:REG-{n:04}:1:ABCDEFGHIJKLMNOP", name, f"REG-{n:04}", EVENT) for n, name in enumerate(NAMES)]
    poster_jobs = [(f"{LINK}{n}", name, "Room B", "09:30–10:30", EVENT) for n, name in enumerate(NAMES[:2])]
    assert badge_pngs(badge_jobs, parallel=True) == badge_pngs(badge_jobs, parallel=False)
    assert poster_pngs(poster_jobs, parallel=True) == [poster_png(*job) for job in poster_jobs]
