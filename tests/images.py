"""Synthetic badge photos for the QR tests and the decode benchmark.

Nothing is downloaded: a badge card (event band, name, QR code of the token)
is drawn with qrcode + Pillow, placed on a cluttered background the way a
door scanner's phone would see it (tilted, a little off-axis, out of focus,
unevenly lit, noisy) and saved as a 1280 px JPEG, as Telegram delivers photos.

Every random choice comes from `random.Random(seed)`, so a seed names one
photo for ever and benchmark runs compare like with like.
"""

from __future__ import annotations

import io
import math
import random
import string
from dataclasses import dataclass

import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ASPECT = 3 / 4
"""Landscape 4:3, the shape of a phone photo as Telegram sends it (1280x960)."""
EVENTS = ("DEVCONF 2026", "PYDAYS", "OPEN SOURCE SUMMIT", "DATA WEEK")
ROLES = ("ATTENDEE", "SPEAKER", "STAFF", "PRESS", "SPONSOR")


def sample_tokens(n: int, seed: int = 0) -> list[str]:
    """Badge tokens shaped like the real ones (B1:<id>:<version>:<16 base32>), unsigned."""
    rng = random.Random(seed)
    base32 = string.ascii_uppercase + "234567"
    return [
        f"B1:REG-{rng.randrange(10000):04d}:{rng.choice((1, 1, 1, 2, 3))}:"
        f"{''.join(rng.choice(base32) for _ in range(16))}"
        for _ in range(n)
    ]


@dataclass
class Shot:
    """How one badge appears in the photo, and how the camera spoils it."""

    scale: float  # width of the QR symbol (modules only) / photo width
    rotate: float  # degrees, counter-clockwise
    perspective: float  # how much the far edge of the card shrinks (0 = face-on)
    blur: float  # Gaussian radius in photo pixels (defocus)
    shake: float  # length of the motion-blur smear in photo pixels (0 = steady hand)
    jpeg_quality: int
    brightness: float
    contrast: float
    shading: float  # strength of a light-to-dark ramp across the photo
    glare: float  # peak brightness of a specular spot (0 = none)
    noise: float  # sensor noise, standard deviation in grey levels


def _draw_shot(rng: random.Random, size: int, *, rotate, scale, blur, jpeg_quality, perspective) -> Shot:
    """The realistic mix: mostly a badge held up at arm's length, some from
    further away, some tilted a lot, a share blurred, shaken or badly lit.
    A pinned `blur` comes without hand shake, so tests control all the blur."""
    if scale is None:
        scale = rng.choices(
            (rng.uniform(0.14, 0.32), rng.uniform(0.08, 0.14), rng.uniform(0.06, 0.08), rng.uniform(0.32, 0.45)),
            weights=(60, 24, 8, 8),
        )[0]
    if rotate is None:
        rotate = rng.choices(
            (max(-30.0, min(30.0, rng.gauss(0, 12))), rng.uniform(-30, 30), rng.choice((-1, 1)) * rng.uniform(30, 180)),
            weights=(70, 18, 12),
        )[0]
    if perspective is None:
        perspective = rng.choices((rng.uniform(0, 0.08), rng.uniform(0.08, 0.2)), weights=(75, 25))[0]
    module_px = scale * size / 29  # version 3, the largest badge symbol
    shake = 0.0
    if blur is None:
        blur = rng.choices((rng.uniform(0, 0.8), rng.uniform(0.8, 1.6), rng.uniform(1.6, 2.8)), weights=(45, 35, 20))[0]
        shake = rng.choices((0.0, rng.uniform(2, 8)), weights=(80, 20))[0]
        blur, shake = _within_blur_budget(blur, shake, module_px)
    if jpeg_quality is None:
        jpeg_quality = rng.choices(
            (rng.randint(75, 92), rng.randint(50, 75), rng.randint(30, 50)), weights=(60, 30, 10)
        )[0]
    return Shot(
        scale=scale,
        rotate=rotate,
        perspective=perspective,
        blur=blur,
        shake=shake,
        jpeg_quality=jpeg_quality,
        brightness=rng.uniform(0.6, 1.3),
        contrast=rng.uniform(0.5, 1.1),
        shading=rng.choices((rng.uniform(0, 0.25), rng.uniform(0.25, 0.6)), weights=(75, 25))[0],
        glare=rng.choices((0.0, rng.uniform(40, 130)), weights=(85, 15))[0],
        noise=rng.uniform(1.5, 9),
    )


def _within_blur_budget(blur: float, shake: float, module_px: float) -> tuple[float, float]:
    """Scale defocus and shake down together until their combined spread (a
    smear of length L has the spread of a Gaussian of radius 0.29 L) is at most
    half a QR module: beyond that the code is gone for any decoder, and the
    photo would measure the generator rather than the reader."""
    spread = math.hypot(blur, 0.29 * shake)
    budget = 0.5 * module_px
    if spread <= budget:
        return blur, shake
    return blur * budget / spread, shake * budget / spread


def badge_photo(
    token: str,
    *,
    seed: int,
    size: int = 1280,
    rotate: float | None = None,
    scale: float | None = None,
    blur: float | None = None,
    jpeg_quality: int | None = None,
    perspective: float | None = None,
    name: str = "Ada Lovelace",
) -> bytes:
    """JPEG of one badge photographed at a door. Arguments left at None are drawn
    from the realistic mix (see `_draw_shot`); give them to pin one distortion."""
    rng = random.Random(seed)
    shot = _draw_shot(
        rng, size, rotate=rotate, scale=scale, blur=blur, jpeg_quality=jpeg_quality, perspective=perspective
    )
    photo = _background(size, rng)
    _place_badge(photo, token, name, shot, rng, region=(0.0, 1.0))
    return _camera(photo, shot, rng)


def two_badges_photo(token1: str, token2: str, seed: int, size: int = 1280) -> bytes:
    """Two people at the door in one photo: two badges side by side, each in its own half."""
    rng = random.Random(seed)
    photo = _background(size, rng)
    shots = [
        Shot(
            scale=rng.uniform(0.17, 0.22),
            rotate=rng.uniform(-15, 15),
            perspective=rng.uniform(0, 0.06),
            blur=0.6,
            shake=0.0,
            jpeg_quality=85,
            brightness=1.0,
            contrast=0.9,
            shading=0.1,
            glare=0.0,
            noise=3,
        )
        for _ in range(2)
    ]
    _place_badge(photo, token1, "Ada Lovelace", shots[0], rng, region=(0.0, 0.5))
    _place_badge(photo, token2, "Grace Hopper", shots[1], rng, region=(0.5, 1.0))
    return _camera(photo, shots[0], rng)


def realistic_set(tokens: list[str], n: int = 200, seed: int = 0) -> list[tuple[str, bytes]]:
    """(expected token, JPEG) for `n` photos of the realistic mix, tokens used in turn."""
    return [
        (tokens[i % len(tokens)], badge_photo(tokens[i % len(tokens)], seed=seed * 1_000_003 + i)) for i in range(n)
    ]


# ---------------------------------------------------------------- the badge


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):
        return ImageFont.load_default()


def _module_count(token: str) -> int:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(token)
    code.make(fit=True)
    return code.modules_count


def _badge_card(token: str, name: str, symbol_px: float, rng: random.Random) -> tuple[Image.Image, tuple[int, ...]]:
    """An RGBA card laid out around its QR code, and the box of the QR modules on it.

    The card is drawn a little larger than it will appear in the photo
    (`symbol_px` wide QR modules), so the final warp only shrinks it slightly:
    Pillow's transform does not low-pass filter, and a big shrink would alias.
    """
    box = max(3, math.ceil(1.2 * symbol_px / _module_count(token)))
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    code.add_data(token)
    code.make(fit=True)
    symbol = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    quiet = 4 * box
    width = int(symbol.width * 1.45)
    height = int(width * 1.45)
    card = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    paper = tuple(rng.randint(238, 255) for _ in range(3))
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=width // 20, fill=(*paper, 255))
    accent = (rng.randint(0, 160), rng.randint(0, 160), rng.randint(40, 200), 255)
    band = int(height * 0.16)
    draw.rounded_rectangle((0, 0, width - 1, band), radius=width // 20, fill=accent)
    draw.ellipse(
        (width / 2 - width / 18, band * 0.18, width / 2 + width / 18, band * 0.18 + width / 9), fill=(40, 40, 40, 255)
    )
    draw.text(
        (width / 2, band * 0.92),
        rng.choice(EVENTS),
        fill=(255, 255, 255, 255),
        font=_font(max(8, band // 4)),
        anchor="md",
    )
    draw.text((width / 2, band * 1.35), name, fill=(20, 20, 20, 255), font=_font(max(8, width // 11)), anchor="mt")
    top = int(band * 1.35 + width / 11 * 1.6)
    left = (width - symbol.width) // 2
    card.paste(symbol, (left, top))
    draw.rectangle((0, height - band * 0.55, width - 1, height - 1), fill=accent)
    draw.text(
        (width / 2, height - band * 0.28),
        rng.choice(ROLES),
        fill=(255, 255, 255, 255),
        font=_font(max(8, band // 4)),
        anchor="mm",
    )
    modules_box = (left + quiet, top + quiet, left + symbol.width - quiet, top + symbol.width - quiet)
    return card, modules_box


def _place_badge(
    photo: Image.Image, token: str, name: str, shot: Shot, rng: random.Random, region: tuple[float, float]
) -> None:
    """Warp the card into the photo with one homography (scale, tilt, rotation,
    position), keeping the whole QR symbol and its quiet zone inside `region`
    (a horizontal slice of the photo, as fractions of its width)."""
    symbol_px = shot.scale * photo.width
    card, (qx0, qy0, qx1, qy1) = _badge_card(token, name, symbol_px, rng)
    quiet = 4 * (qx1 - qx0) / _module_count(token)
    corners = np.array([(0, 0), (card.width, 0), (card.width, card.height), (0, card.height)], dtype=float)
    qr_corners = np.array(
        [
            (qx0 - quiet, qy0 - quiet),
            (qx1 + quiet, qy0 - quiet),
            (qx1 + quiet, qy1 + quiet),
            (qx0 - quiet, qy1 + quiet),
        ],
        dtype=float,
    )
    origin = np.array([(qx0 + qx1) / 2, (qy0 + qy1) / 2])
    zoom = symbol_px / (qx1 - qx0)
    far_edge = rng.randrange(4)
    for _ in range(10):
        dst = _project(corners, origin, zoom, shot, far_edge, card.size)
        dst_qr = _apply(_homography(corners, dst), qr_corners)
        low = np.array([region[0] * photo.width + 4, 4]) - dst_qr.min(axis=0)
        high = np.array([region[1] * photo.width - 4, photo.height - 4]) - dst_qr.max(axis=0)
        if (low <= high).all():
            break
        zoom *= 0.9
    centre = np.array([rng.uniform(low[0], max(low[0], high[0])), rng.uniform(low[1], max(low[1], high[1]))])
    to_card = _homography(dst + centre, corners)
    coefficients = tuple((to_card / to_card[2, 2]).flatten()[:8])
    warped = card.transform(photo.size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)
    _drop_shadow(photo, warped, rng)
    photo.paste(warped, (0, 0), warped)


def _project(
    points: np.ndarray, origin: np.ndarray, zoom: float, shot: Shot, far_edge: int, card_size: tuple[int, int]
) -> np.ndarray:
    """Card corners to photo offsets from the QR centre: shorten the far edge
    (the card tilted away from the camera), scale, then rotate."""
    relative = points - origin
    axis = 1 if far_edge in (0, 2) else 0  # top/bottom edge far: squeeze x by y position
    span = card_size[axis]
    nearness = points[:, axis] / span if far_edge in (0, 3) else 1 - points[:, axis] / span
    relative[:, 1 - axis] *= 1 - shot.perspective * (1 - nearness)
    relative *= zoom
    angle = math.radians(shot.rotate)
    rotation = np.array([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])
    return relative @ rotation.T


def _homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 projective map taking the four `src` points onto the four `dst` points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append((x, y, 1, 0, 0, 0, -u * x, -u * y))
        rows.append((0, 0, 0, x, y, 1, -v * x, -v * y))
        rhs.extend((u, v))
    return np.append(np.linalg.solve(np.array(rows), np.array(rhs)), 1.0).reshape(3, 3)


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    projected = np.c_[points, np.ones(len(points))] @ matrix.T
    return projected[:, :2] / projected[:, 2:]


def _drop_shadow(photo: Image.Image, warped: Image.Image, rng: random.Random) -> None:
    """A soft shadow under the card, so its edge is not a perfect cut-out."""
    alpha = warped.getchannel("A").filter(ImageFilter.BoxBlur(6))
    offset = (rng.randint(-12, 12), rng.randint(4, 16))
    shadow = Image.new("RGB", photo.size, (0, 0, 0))
    photo.paste(shadow, offset, alpha.point(lambda a: a * 45 // 100))


# ---------------------------------------------------------------- the scene


def _background(width: int, rng: random.Random) -> Image.Image:
    """A desk or doorway: a colour gradient, blurry blobs and hard-edged clutter
    (papers, a phone, cables, printed text) for the finder-pattern search to reject."""
    height = int(width * ASPECT)
    first, second = (np.array([rng.randint(30, 230) for _ in range(3)], dtype=np.float32) for _ in range(2))
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    pixels = first + (second - first) * ramp
    image = Image.fromarray(np.broadcast_to(pixels, (height, width, 3)).astype(np.uint8), mode="RGB")
    blobs = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(blobs)
    for _ in range(6):
        x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(60, 300)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randint(0, 255) for _ in range(3)))
    image = Image.blend(image, blobs.filter(ImageFilter.BoxBlur(60)), 0.35)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 12)):
        _clutter(draw, width, height, rng)
    return image


def _clutter(draw: ImageDraw.ImageDraw, width: int, height: int, rng: random.Random) -> None:
    colour = tuple(rng.randint(0, 255) for _ in range(3))
    x, y = rng.uniform(-100, width), rng.uniform(-100, height)
    kind = rng.randrange(4)
    if kind == 0:
        draw.rectangle((x, y, x + rng.uniform(40, 400), y + rng.uniform(40, 300)), fill=colour)
    elif kind == 1:
        draw.line((x, y, rng.uniform(0, width), rng.uniform(0, height)), fill=colour, width=rng.randint(2, 12))
    elif kind == 2:
        draw.rounded_rectangle((x, y, x + 120, y + 240), radius=18, fill=(20, 20, 24), outline=colour, width=4)
    else:
        words = " ".join(rng.choice(("agenda", "room B", "14:30", "coffee", "exit", "WiFi")) for _ in range(4))
        draw.text((x, y), words, fill=colour, font=_font(rng.randint(14, 40)))


def _camera(photo: Image.Image, shot: Shot, rng: random.Random) -> bytes:
    """What the phone does to the scene: uneven light and glare, defocus and
    hand shake, exposure and contrast, sensor noise, then JPEG compression."""
    pixels = np.asarray(photo, dtype=np.float32)
    height, width = pixels.shape[:2]
    ys, xs = np.ogrid[0:height, 0:width]
    angle = rng.uniform(0, 2 * math.pi)
    ramp = (xs * math.cos(angle) + ys * math.sin(angle)) / (width + height) + 0.5
    pixels *= (1 - shot.shading * ramp).astype(np.float32)[..., None]
    if shot.glare:
        gx, gy, radius = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(40, 160)
        spot = shot.glare * np.exp(-((xs - gx) ** 2 + (ys - gy) ** 2) / (2 * radius**2))
        pixels += spot.astype(np.float32)[..., None]
    if shot.shake >= 1:
        pixels = _motion_blur(pixels, shot.shake, rng.uniform(0, math.pi))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")
    if shot.blur > 0.05:
        image = image.filter(ImageFilter.GaussianBlur(shot.blur))
    pixels = np.asarray(image, dtype=np.float32)
    pixels = ((pixels - 128) * shot.contrast + 128) * shot.brightness
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, shot.noise, (height, width))
    pixels += noise.astype(np.float32)[..., None]
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB").save(
        out, format="JPEG", quality=shot.jpeg_quality
    )
    return out.getvalue()


def _motion_blur(pixels: np.ndarray, length: float, angle: float) -> np.ndarray:
    """Average of copies shifted along a line: the smear of a hand moving during exposure."""
    steps = max(2, round(length))
    total = np.zeros_like(pixels)
    for step in range(steps):
        offset = step - (steps - 1) / 2
        dy, dx = round(offset * math.sin(angle)), round(offset * math.cos(angle))
        total += np.roll(pixels, (dy, dx), axis=(0, 1))
    return total / steps
