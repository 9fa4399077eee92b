"""Photos the door scanner takes during the rehearsal.

Two kinds of badge are shown at a door: the QR image the bot sent to the
attendee's phone (`/badge`), held up on the phone's screen, and a printed
badge from the organiser's `/badges` ZIP. Both are turned into what a phone
camera would deliver — tilted, slightly out of focus, noisy, a 1280x960 JPEG —
so the bot has to find and read the code as it would at a real door.

The printed badge uses the test suite's photo generator (`tests.images`);
the phone screen is drawn here from the bot's own PNG. Every random choice
comes from the seed, so the rehearsal is the same on every run.
"""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tests.images import badge_photo

PHOTO_SIZE = (1280, 960)  # as Telegram delivers a phone photo


def phone_screen_photo(badge_png: bytes, *, seed: int = 11) -> bytes:
    """JPEG of a phone held up at the door, its screen showing `badge_png`."""
    rng = random.Random(seed)
    width, height = PHOTO_SIZE
    photo = _backdrop(width, height, rng)

    badge = Image.open(io.BytesIO(badge_png)).convert("RGB")
    screen_w = 330
    badge = badge.resize((screen_w - 30, round(badge.height * (screen_w - 30) / badge.width)), Image.LANCZOS)
    screen_h = max(600, badge.height + 150)
    screen = Image.new("RGB", (screen_w, screen_h), (239, 239, 244))
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, screen_w, 56), fill=(82, 136, 193))  # the chat's title bar
    draw.rounded_rectangle((8, 80, screen_w - 8, 80 + badge.height + 24), radius=14, fill=(255, 255, 255))
    screen.paste(badge, (15, 92))

    bezel = 18
    phone = Image.new("RGBA", (screen_w + 2 * bezel, screen_h + 5 * bezel), (0, 0, 0, 0))
    ImageDraw.Draw(phone).rounded_rectangle(
        (0, 0, phone.width - 1, phone.height - 1), radius=44, fill=(24, 24, 28, 255)
    )
    phone.paste(screen, (bezel, 2 * bezel))
    phone = phone.rotate(rng.uniform(-14, 14), resample=Image.BICUBIC, expand=True)
    x = (width - phone.width) // 2 + rng.randint(-120, 120)
    y = (height - phone.height) // 2 + rng.randint(-40, 40)
    photo.paste(phone, (x, y), phone)
    return _camera(photo, rng)


def printed_badge_photo(token: str, name: str, *, seed: int = 1) -> bytes:
    """JPEG of a printed badge (a lanyard card) photographed at arm's length."""
    return badge_photo(
        token, seed=seed, name=name, rotate=-9.0, scale=0.24, blur=0.8, jpeg_quality=82, perspective=0.06
    )


def _backdrop(width: int, height: int, rng: random.Random) -> Image.Image:
    """A dim corridor: a vertical light gradient and a few blurred shapes (people, a door frame)."""
    top, bottom = np.array([rng.randint(120, 160)] * 3), np.array([rng.randint(50, 80)] * 3)
    ramp = np.linspace(0, 1, height)[:, None, None]
    pixels = (top * (1 - ramp) + bottom * ramp) * np.ones((1, width, 1))
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randint(-200, width), rng.randint(-100, height)
        grey = rng.randint(50, 170)
        shade = (grey + rng.randint(0, 30), grey + rng.randint(0, 15), grey)  # muted, warm: clothes, walls
        draw.ellipse((x0, y0, x0 + rng.randint(150, 500), y0 + rng.randint(200, 700)), fill=shade)
    return image.filter(ImageFilter.GaussianBlur(18))


def _camera(photo: Image.Image, rng: random.Random) -> bytes:
    """Focus, sensor noise and JPEG compression of a phone camera."""
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.0)))
    pixels = np.asarray(photo, dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 4.0, pixels.shape)
    pixels = np.clip(pixels * rng.uniform(0.85, 1.05) + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=80)
    return out.getvalue()
