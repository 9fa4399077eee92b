"""bot/files/qr.py: drawing badge and poster QR codes, reading them back from photos,
refusing hostile files, and zipping PNGs. Read rates and timings live in
bench/decode.py; these tests pin behaviour on a handful of photos."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import pytest
import qrcode.util
from PIL import Image, ImageDraw

from bot.files.qr import (
    MAX_FILE_BYTES,
    WORK_SIDE,
    ImageRejected,
    build_qr,
    decode_qr,
    load_grayscale,
    qr_png,
    zip_bytes,
)
from tests.images import badge_photo, sample_tokens, two_badges_photo

TOKEN = "B1:REG-0042:1:ABCDEFGHIJKLMNOP"
DECODERS = ("zxing", "pyzbar")


def _png(image: Image.Image, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **params)
    return out.getvalue()


def _jpeg(image: Image.Image, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, **params)
    return out.getvalue()


# ---------------------------------------------------------------- drawing


def test_badge_tokens_are_encoded_in_alphanumeric_mode():
    code = build_qr(TOKEN)
    assert [chunk.mode for chunk in code.data_list] == [qrcode.util.MODE_ALPHA_NUM]
    assert code.version == 2
    longest = "B1:REG-0042.ABCDEFGH:999999:ABCDEFGHIJKLMNOP"
    assert build_qr(longest).version == 3


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("data", [TOKEN, "https://t.me/attendance_bot?start=SL001"])
def test_qr_png_reads_back(decoder, data):
    assert decode_qr(qr_png(data, ["Ada Lovelace", "REG-0042"]), decoder) == [data]


def test_qr_png_is_print_ready_with_the_caption_under_the_code():
    plain = Image.open(io.BytesIO(qr_png(TOKEN)))
    captioned = Image.open(io.BytesIO(qr_png(TOKEN, ["Ada Lovelace", "REG-0042"])))
    assert plain.format == captioned.format == "PNG"
    assert plain.width >= 600 and plain.width == plain.height
    assert captioned.width == plain.width and captioned.height > captioned.width
    caption_area = captioned.convert("L").crop((0, plain.height, captioned.width, captioned.height))
    assert caption_area.getextrema()[0] < 100, "caption text is drawn"
    corners = [(0, 0), (captioned.width - 1, 0), (0, captioned.height - 1), (captioned.width - 1, captioned.height - 1)]
    assert all(captioned.convert("L").getpixel(corner) == 255 for corner in corners)


def test_a_long_caption_wraps_instead_of_widening_the_image():
    one_line = Image.open(io.BytesIO(qr_png(TOKEN, ["Ada"])))
    long = Image.open(io.BytesIO(qr_png(TOKEN, ["Workshop: " + "very " * 30 + "long title", "X" * 120])))
    assert long.width == one_line.width and long.height > one_line.height + 100


# ---------------------------------------------------------------- reading photos


@cache
def _photo() -> bytes:
    return badge_photo(TOKEN, seed=7, scale=0.2)


@pytest.mark.parametrize(
    "distortion",
    [
        {"rotate": 25},
        {"rotate": -150},
        {"perspective": 0.18, "rotate": 12},
        {"blur": 1.5},
        {"jpeg_quality": 30},
        {"scale": 0.08, "rotate": -20, "blur": 0.8},
    ],
    ids=repr,
)
def test_a_distorted_badge_photo_reads_with_both_decoders(distortion):
    photo = badge_photo(TOKEN, seed=7, **{"scale": 0.2, **distortion})
    for decoder in DECODERS:
        assert decode_qr(photo, decoder) == [TOKEN], decoder


@pytest.mark.parametrize("decoder", DECODERS)
def test_two_badges_in_one_photo_give_both_tokens(decoder):
    first, second = sample_tokens(2, seed=3)
    assert sorted(decode_qr(two_badges_photo(first, second, seed=1), decoder)) == sorted([first, second])


@pytest.mark.parametrize("decoder", DECODERS)
def test_a_photo_without_a_qr_code_gives_nothing(decoder):
    scene = Image.new("RGB", (1280, 960), (90, 110, 140))
    draw = ImageDraw.Draw(scene)
    for step in range(12):
        draw.rectangle((step * 100, step * 60, step * 100 + 150, step * 60 + 90), fill=(20 * step, 40, 200 - 10 * step))
    draw.text((100, 800), "Room B - coffee at 10:30", fill=(255, 255, 255))
    assert decode_qr(_jpeg(scene), decoder) == []


def test_the_same_code_twice_is_reported_once():
    symbol = Image.open(io.BytesIO(qr_png(TOKEN))).convert("L")
    sheet = Image.new("L", (symbol.width * 2, symbol.height), 255)
    sheet.paste(symbol, (0, 0))
    sheet.paste(symbol, (symbol.width, 0))
    assert decode_qr(_png(sheet)) == [TOKEN]


def test_decoding_from_several_threads_gives_the_sequential_results():
    photos = [qr_png(token) for token in sample_tokens(8, seed=5)]
    expected = [decode_qr(photo) for photo in photos]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(decode_qr, photos * 3)) == expected * 3


# ---------------------------------------------------------------- image modes and sizes


def _symbol() -> Image.Image:
    return Image.open(io.BytesIO(qr_png(TOKEN))).convert("L")


def _transparent_png() -> bytes:
    """Black modules on a fully transparent (black) background: unreadable unless flattened onto white."""
    symbol = _symbol()
    rgba = Image.new("RGBA", symbol.size, (0, 0, 0, 0))
    rgba.putalpha(symbol.point(lambda value: 255 - value))
    return _png(rgba)


@pytest.mark.parametrize(
    "make",
    [
        _transparent_png,
        lambda: _png(_symbol().convert("P")),
        lambda: _png(_symbol().convert("1")),
        lambda: _png(_symbol().convert("I;16")),
        lambda: _jpeg(_symbol().convert("CMYK")),
        lambda: _png(_symbol().convert("LA")),
    ],
    ids=["RGBA", "P", "1", "I;16", "CMYK", "LA"],
)
def test_every_image_mode_reads(make):
    assert decode_qr(make()) == [TOKEN]


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    stored = _jpeg(Image.new("RGB", (200, 100), "white"), exif=exif.tobytes())
    assert load_grayscale(stored).size == (100, 200)


def test_a_big_photo_is_shrunk_before_decoding_and_still_reads():
    photo = Image.open(io.BytesIO(_photo())).resize((4000, 3000), Image.Resampling.BICUBIC)
    stored = _jpeg(photo)
    assert max(load_grayscale(stored).size) <= WORK_SIDE
    assert decode_qr(stored) == [TOKEN]


# ---------------------------------------------------------------- refusals


def _png_header_only(width: int, height: int) -> bytes:
    """A valid-looking 1-bit PNG that declares width x height pixels but carries
    no pixel data: a decompression bomb's header costs a few bytes to forge."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("width, height", [(8000, 6000), (10000, 10000), (50000, 50000)])
def test_too_many_pixels_are_refused_before_decoding(width, height):
    with pytest.raises(ImageRejected) as refusal:
        decode_qr(_png_header_only(width, height))
    assert refusal.value.code == "too_many_pixels"
    assert "megapixels" in str(refusal.value)


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_a_bomb_warning_raised_as_error_is_still_a_refusal():
    with pytest.raises(ImageRejected) as refusal:
        decode_qr(_png_header_only(10000, 10000))
    assert refusal.value.code == "too_many_pixels"


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "not_image"),
        (b"%PDF-1.7 this is a document, not a photo", "not_image"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not_image"),
        (b"\xff\xd8" + bytes(MAX_FILE_BYTES), "too_large"),
    ],
    ids=["empty", "pdf", "eps", "huge file"],
)
def test_files_that_are_not_photos_are_refused(content, code):
    with pytest.raises(ImageRejected) as refusal:
        decode_qr(content)
    assert refusal.value.code == code
    assert str(refusal.value).endswith(".")


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_a_truncated_jpeg_is_refused(keep):
    photo = _photo()
    with pytest.raises(ImageRejected) as refusal:
        decode_qr(photo[: int(len(photo) * keep)])
    assert refusal.value.code == "corrupt"


# ---------------------------------------------------------------- zip


def test_zip_bytes_holds_every_file_with_unique_names():
    files = [("SL001.png", b"one"), ("SL002.png", b"two"), ("SL001.png", b"three"), ("README", b"r")]
    archive = zipfile.ZipFile(io.BytesIO(zip_bytes(files)))
    assert archive.namelist() == ["SL001.png", "SL002.png", "SL001 (2).png", "README"]
    assert archive.read("SL001 (2).png") == b"three"
    # PNGs are compressed already and stored as they are; anything else is deflated.
    assert [info.compress_type for info in archive.infolist()] == [zipfile.ZIP_STORED] * 3 + [zipfile.ZIP_DEFLATED]
