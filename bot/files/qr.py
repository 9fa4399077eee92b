"""QR codes in and out: plain functions, bytes in and bytes out.

* `qr_png` draws a QR code with caption lines under it (the badge image a
  user gets in the chat, onsite shortlink posters), in real fonts with
  per-character fallback (`bot.files.fonts`). True-size print layouts are in
  `bot.files.printables`.
* `decode_qr` reads every QR code in a photo a scanner sent. It refuses
  hostile or broken files with `ImageRejected` before decoding anything.
* `zip_bytes` packs several PNGs into one ZIP for organisers.

Decoding is synchronous, CPU-bound and keeps no shared state, so the bot runs
it in a worker thread (`asyncio.to_thread`); both decoders release the GIL.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import stat
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import qrcode
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageOps
from pyzbar import pyzbar

from bot.files.fonts import FallbackFont, wrap
from bot.i18n import _

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Telegram lets bots download files up to 20 MB; anything bigger is not a badge photo."""
MAX_PIXELS = 40_000_000
"""Phone cameras stay below ~50 MP; 40 MP of RGB is 120 MB of memory, the most one photo may cost."""
WORK_SIDE = 2000
"""Long side photos are shrunk to first: QR codes on badges stay readable and decoding stays fast."""
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
"""Photo formats only: exotic Pillow plugins (EPS runs Ghostscript, for one) are never reached.
Multi-picture JPEGs from phone cameras come in through "JPEG" and report format "MPO"."""
MIN_PNG_WIDTH = 600
CAPTION_FONT_SIZE = 28


class ImageRejected(Exception):
    """A file that will not be decoded. `str(error)` is a sentence for the user;
    `code` is one of not_image, corrupt, too_many_pixels, too_large."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------- encoding


def build_qr(data: str) -> qrcode.QRCode:
    """The QR symbol for `data`, error correction M, smallest version that fits.

    `add_data` picks the most compact mode per chunk, so text made only of
    upper-case letters, digits and ` $%*+-./:` is encoded in alphanumeric mode
    (about 5.5 bits a character instead of 8) and badge tokens fit version 2-3.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str, caption_lines: Sequence[str] = (), box_size: int = 10, border: int = 4) -> bytes:
    """PNG of the QR code for `data` with `caption_lines` centred under it.

    White background, black modules. `box_size` is a minimum: modules grow so
    the image is at least MIN_PNG_WIDTH px wide and prints sharply at badge
    size. `border` is the quiet zone in modules; 4 is what the standard asks.
    """
    matrix = build_qr(data).get_matrix()
    modules = len(matrix) + 2 * border
    box = max(box_size, math.ceil(MIN_PNG_WIDTH / modules))
    symbol = _render_matrix(matrix, box, border)
    lines = [line for line in caption_lines if line.strip()]
    image = _add_caption(symbol, lines, margin=max(border, 2) * box // 2) if lines else symbol
    out = io.BytesIO()
    # Modules are large flat areas: fast zlib compression is nearly as small as optimize=True, many times faster.
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


PARALLEL_FROM = 60


def qr_pngs(jobs: Sequence[tuple[str, Sequence[str]]], parallel: bool | None = None) -> list[bytes]:
    """`qr_png` for many (data, caption lines) pairs, in order.

    Encoding is mostly pure Python (qrcode's mask selection), so one thread
    uses one core; a batch of posters is spread over every core with worker
    processes. Spawned, not forked: the bot's process has threads (the
    database thread, the event loop), and forking a threaded process can
    deadlock the child.
    """
    if parallel is None:
        parallel = len(jobs) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1
    if not parallel:
        return [qr_png(data, lines) for data, lines in jobs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=context) as pool:
        chunk = max(1, len(jobs) // (4 * (os.cpu_count() or 1)))
        return list(pool.map(_qr_png_job, jobs, chunksize=chunk))


def _qr_png_job(job: tuple[str, Sequence[str]]) -> bytes:
    return qr_png(job[0], job[1])


def _render_matrix(matrix: list[list[bool]], box: int, border: int) -> Image.Image:
    """Scale the module matrix up without resampling, so module edges stay crisp."""
    cells = np.array(matrix, dtype=bool)
    cells = np.pad(cells, border, constant_values=False)
    pixels = np.where(cells, 0, 255).astype(np.uint8)
    pixels = pixels.repeat(box, axis=0).repeat(box, axis=1)
    return Image.fromarray(pixels, mode="L")


def _caption_font() -> FallbackFont:
    """Real fonts with per-character fallback (`bot.files.fonts`), so names in any script print as
    letters, not boxes. Raises `FontsMissing`, naming the packages, when the fonts are not installed."""
    return FallbackFont(CAPTION_FONT_SIZE)


def _add_caption(symbol: Image.Image, lines: list[str], margin: int) -> Image.Image:
    """Stack the wrapped caption lines under the symbol, on a white canvas."""
    font = _caption_font()
    width = symbol.width
    wrapped = [piece for line in lines for piece in wrap(line, font, width - 2 * margin)]
    line_height = int(font.line_height * 1.2)
    height = symbol.height + line_height * len(wrapped) + margin
    canvas = Image.new("L", (width, height), 255)
    canvas.paste(symbol, (0, 0))
    draw = ImageDraw.Draw(canvas)
    y = symbol.height
    for piece in wrapped:
        font.draw(draw, (width // 2, y), piece, fill=0, anchor="ma")
        y += line_height
    return canvas


# ---------------------------------------------------------------- decoding


def decode_qr(image_bytes: bytes, decoder: str = "zxing", *, fallbacks: bool = True) -> list[str]:
    """Text of every QR code in the photo, without duplicates, in the order found.

    `decoder` is "zxing" (zxing-cpp, the default: faster and reads more) or
    "pyzbar". When the plain grayscale photo yields nothing, cheap variants are
    tried in turn (sharpened, sharpened and 2x upscaled, adaptive threshold,
    and for pyzbar an Otsu threshold) and the first that reads anything wins:
    most photos cost one pass, hard ones a few. `fallbacks=False` exists to measure
    that chain. Raises ImageRejected for files that are not a safe, intact image.
    """
    read = _READERS[decoder]
    gray = load_grayscale(image_bytes)
    found = read(gray, first_pass=True)
    if not found and fallbacks:
        for variant in _fallback_variants(gray, decoder):
            found = read(variant, first_pass=False)
            if found:
                break
    return list(dict.fromkeys(found))


def _read_zxing(image: Image.Image, first_pass: bool) -> list[str]:
    """Badge codes are dark on light; looking for inverted codes too is left to
    the first pass, where it costs little, instead of doubling every fallback."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=first_pass)
    return [result.text for result in results]


def _read_pyzbar(image: Image.Image, first_pass: bool) -> list[str]:
    symbols = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [symbol.data.decode("utf-8", errors="replace") for symbol in symbols]


_READERS: dict[str, Callable[..., list[str]]] = {"zxing": _read_zxing, "pyzbar": _read_pyzbar}


def _fallback_variants(gray: Image.Image, decoder: str) -> Iterator[Image.Image]:
    """The fallback chain, built lazily so each step is paid only if the previous failed.

    Unsharp masking restores module edges softened by defocus, shake and
    JPEG; upscaling the sharpened image gives small, far-away codes enough
    pixels per module for the finder-pattern search; a local threshold
    evens out shadows and glare. zxing-cpp already binarises locally, so for
    it the threshold comes last. zbar binarises by gradient along scan lines
    and loses dim, tilted codes in uneven light: for it the (cheap) Otsu and
    local thresholds come first, and rescue most of its misses (measured in
    bench/decode.py).
    """
    if decoder == "pyzbar":
        yield _otsu_threshold(gray)
        yield _adaptive_threshold(gray)
    sharp = gray.filter(ImageFilter.UnsharpMask(radius=2, percent=180, threshold=2))
    yield sharp
    yield sharp.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)
    if decoder != "pyzbar":
        yield _adaptive_threshold(gray)


def _adaptive_threshold(gray: Image.Image, offset: int = 8) -> Image.Image:
    """Black where a pixel is darker than its neighbourhood mean by more than `offset`.

    The window (about 1/16 of the short side) spans a few QR modules at badge
    distances; the offset keeps flat paper white despite sensor noise.
    """
    radius = max(8, min(gray.size) // 32)
    local_mean = np.asarray(gray.filter(ImageFilter.BoxBlur(radius)), dtype=np.int16)
    pixels = np.asarray(gray, dtype=np.int16)
    return Image.fromarray(np.where(pixels < local_mean - offset, 0, 255).astype(np.uint8), mode="L")


def _otsu_threshold(gray: Image.Image) -> Image.Image:
    """Binarise at the threshold that best separates the two brightness classes."""
    histogram = np.asarray(gray.histogram(), dtype=np.float64)
    levels = np.arange(256)
    weight_dark = np.cumsum(histogram)
    weight_light = weight_dark[-1] - weight_dark
    mass_dark = np.cumsum(histogram * levels)
    mean_dark = mass_dark / np.maximum(weight_dark, 1)
    mean_light = (mass_dark[-1] - mass_dark) / np.maximum(weight_light, 1)
    between = weight_dark * weight_light * (mean_dark - mean_light) ** 2
    threshold = int(np.argmax(between))
    return gray.point(lambda value: 255 if value > threshold else 0)


# ---------------------------------------------------------------- loading


def load_grayscale(image_bytes: bytes) -> Image.Image:
    """The photo as an upright 8-bit grayscale image of at most WORK_SIDE px.

    Size limits are checked on the header, before any pixel is decompressed,
    so a small file declaring gigapixels costs nothing. JPEGs are decoded
    straight to luminance, and large ones at reduced scale (DCT scaling),
    which is much cheaper than a full colour decode followed by a resize.
    """
    if len(image_bytes) > MAX_FILE_BYTES:
        raise ImageRejected(
            "too_large",
            _("This file is too large ({size} MB); send a photo of at most {limit} MB.").format(
                size=f"{len(image_bytes) / 1e6:.0f}", limit=MAX_FILE_BYTES // 2**20
            ),
        )
    image = _open(image_bytes)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    if image.format in ("JPEG", "MPO"):
        ratio = min(1.0, WORK_SIDE / max(width, height))
        image.draft("L", (math.ceil(width * ratio), math.ceil(height * ratio)))
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        gray = _to_grayscale(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception:
        # Pillow reports damaged data through many exception types (OSError,
        # SyntaxError, ValueError, struct.error, ...); all mean the same to the user.
        raise ImageRejected("corrupt", _("This image is damaged or incomplete. Please send it again.")) from None
    if max(gray.size) > WORK_SIDE:
        gray.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return gray


def _open(image_bytes: bytes) -> Image.ImageFile.ImageFile:
    """Read the header only (Pillow opens lazily); Pillow's own bomb check may fire here."""
    try:
        return Image.open(io.BytesIO(image_bytes), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception:
        raise ImageRejected(
            "not_image", _("This file is not an image I can read. Please send a photo (JPEG or PNG).")
        ) from None


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        "too_many_pixels",
        _("This image has too many pixels (at most {limit} megapixels). Please send a smaller photo.").format(
            limit=MAX_PIXELS // 1_000_000
        ),
    )


def _to_grayscale(image: Image.Image) -> Image.Image:
    """8-bit luminance for any mode: transparency is flattened onto white
    (a QR drawn on a transparent PNG would otherwise turn all black), CMYK
    goes through RGB, 16-bit and float images are stretched to 0-255."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    if image.mode == "CMYK":
        return image.convert("RGB").convert("L")
    if image.mode.startswith(("I", "F")):
        pixels = np.asarray(image, dtype=np.float64)
        low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) * (255.0 / (high - low)) if high > low else np.zeros_like(pixels)
        return Image.fromarray(scaled.astype(np.uint8), mode="L")
    return image.convert("L")


# ---------------------------------------------------------------- archives


def zip_bytes(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A ZIP of (name, content) pairs. PNGs are stored as they are (they are
    compressed already; deflating them again only costs time), anything else
    is deflated. A repeated name gets a " (2)" suffix, since archive tools
    handle duplicate entries badly. Members unpack as ordinary files (rw-r--r--);
    `writestr` given a bare name would make them owner-only (rw-------)."""
    out = io.BytesIO()
    seen: set[str] = set()
    now = time.localtime()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            member = zipfile.ZipInfo(_unique_name(name, seen), date_time=now)
            member.compress_type = zipfile.ZIP_STORED if name.lower().endswith(".png") else zipfile.ZIP_DEFLATED
            member.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(member, content)
    return out.getvalue()


def _unique_name(name: str, seen: set[str]) -> str:
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, number = name, 1
    while candidate in seen:
        number += 1
        candidate = f"{stem} ({number}){dot}{extension}"
    seen.add(candidate)
    return candidate
