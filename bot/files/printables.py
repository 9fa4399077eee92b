"""Print-ready badges and check-in posters: true size at 300 DPI, text in every script.

* `badge_png`: a 4 × 3 inch name badge (the common badge-holder size) with the
  event, the attendee's name, their id and their badge QR code.
* `badges_pdf`: badges five to an A4 page at true size, 5 mm apart, inside
  margins every office printer prints (13.5 mm at the sides, 29 mm top and
  bottom), with cut marks in the margins only: three upright badges in the left
  column, two turned a quarter in the right (`SHEET_SLOTS` says why six do not fit).
* `poster_png`: an A4 poster with a session's onsite check-in QR code.
* `badge_pngs`, `poster_pngs`: the same for whole batches, over worker processes.

Images are 8-bit grayscale: black prints as pure black toner, and the DPI is
stored in each PNG so that print dialogs default to true size. QR modules are
whole pixels (`bot.files.qr`'s matrix rendering, no resampling), with the 4-module
quiet zone the standard asks for. Text goes through `bot.files.fonts`, so names in
Greek, Cyrillic or Chinese print as letters, never boxes.

The words printed (`SCAN_HINT`, the badge's hint, the sheet's footer) are in the
current language (`bot.i18n`): the services set the event language
(`bot.services.badges`, `bot.services.shortlinks`), because a badge or a poster
is read by everyone. Batches drawn in worker processes take that language along.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from PIL import Image, ImageDraw

from bot import i18n
from bot.files.fonts import fit_lines
from bot.files.qr import PARALLEL_FROM, _render_matrix, build_qr
from bot.i18n import N_, _

DPI = 300
QUIET_ZONE = 4
"""Modules of white around a QR code; fewer makes phone cameras miss it next to other print."""

BADGE_SIZE = (4 * DPI, 3 * DPI)
PAGE_SIZE = (2480, 3508)
"""A4 (210 × 297 mm) at 300 DPI."""


def _sheet_slots(gap: int = 60) -> tuple[tuple[int, int, int, int], ...]:
    """Where badges go on an A4 page: (left, top, right, bottom) in pixels, in printing order.

    Most office printers leave 4–5 mm unprinted at every edge, and badges cut apart need a
    gap: 5 mm margins at least and a 5 mm gap (60 px). Two 4-inch badges side by side need
    2 × 101.6 + 2 × 5 = 213.2 mm > 210 mm, so at most one badge of 101.6 mm fits across
    beside one turned a quarter (76.2 mm): 101.6 + 5 + 76.2 = 182.8 mm. The left column
    holds three upright badges (3 × 76.2 + 2 × 5 = 238.6 mm of 297), the right one two
    turned badges (2 × 101.6 + 5 = 208.2 mm): five a page, where a grid of one orientation
    holds four (2 × 2 turned) or three (1 × 3 upright). A sixth does not fit: no two upright
    badges fit side by side, four upright need 4 × 76.2 + 3 × 5 = 319.8 mm of the 287 mm between
    the top and bottom margins, and three turned need 314.8 mm. The columns are centred: margins of
    13.5 mm left and right, 29.1 mm top and bottom.
    """
    width, height = BADGE_SIZE  # upright: 1200 × 900; turned: 900 × 1200
    left = (PAGE_SIZE[0] - (width + gap + height)) // 2
    top = (PAGE_SIZE[1] - (3 * height + 2 * gap)) // 2
    upright = [(left, top + n * (height + gap), left + width, top + n * (height + gap) + height) for n in range(3)]
    x = left + width + gap
    turned = [(x, top + n * (width + gap), x + height, top + n * (width + gap) + width) for n in range(2)]
    return tuple(upright + turned)


SHEET_SLOTS = _sheet_slots()

# Translators: printed large at the foot of an A4 check-in poster, under its QR code; one line if possible.
SCAN_HINT = N_("Scan with your phone camera to check in")
# Translators: printed on a check-in poster under "Scan with your phone camera to check in", for people whose camera
# app does not open links; {bot} is the bot's Telegram username (e.g. event_bot, after the @), {code} the
# poster's code (e.g. SL001); keep "@{bot}" and "/start {code}" exactly as they are.
NO_CAMERA_HINT = N_("Needs Telegram. Camera does not open the link? Open Telegram, find @{bot} and send: /start {code}")
# Translators: printed small on a badge beside its QR code (two short lines at most).
BADGE_HINT = N_("Show this code at the door")

BLACK, DARK_GREY, WHITE = 0, 70, 255


# ---------------------------------------------------------------- badges


def badge_png(token: str, name: str, attendee_id: str, event_name: str) -> bytes:
    """PNG of a 4 × 3 inch badge at 300 DPI (1200 × 900 px, DPI stored in the file)."""
    return _png(_badge_image(token, name, attendee_id, event_name))


def _badge_image(token: str, name: str, attendee_id: str, event_name: str) -> Image.Image:
    """Event in a black band at the top, the name as large as fits in at most two lines
    across the whole width (readable across a room), then the QR code filling the lower
    right corner (modules ≥ 1.2 mm, enough for door staff's phones from a step away)
    with the attendee id beside it."""
    width, height = BADGE_SIZE
    margin = 45  # 3.8 mm: survives an imprecise cut
    badge = Image.new("L", BADGE_SIZE, WHITE)
    draw = ImageDraw.Draw(badge)

    band = 120
    if event_name.strip():  # no EVENT_NAME: no band, rather than an empty black bar
        draw.rectangle((0, 0, width, band), fill=BLACK)
        font, lines = fit_lines(event_name, width - 2 * margin, 1, largest=56, smallest=30, bold=True)
        font.draw(draw, (width // 2, band // 2), lines[0], fill=WHITE, anchor="mm")

    # Name: up to 100 px (cap height 6 mm), centred in the space under the band.
    name_top, name_bottom = band + 20, 380
    font, lines = fit_lines(name, width - 2 * margin, 2, largest=100, smallest=40, bold=True)
    pitch = int(font.size * 1.15)
    y = (name_top + name_bottom) / 2 - pitch * (len(lines) - 1) / 2
    for line in lines:
        font.draw(draw, (width // 2, y), line, fill=BLACK, anchor="mm")
        y += pitch

    # QR code flush with the bottom right corner: its own quiet zone is the margin there.
    matrix = build_qr(token).get_matrix()
    box = (height - name_bottom) // (len(matrix) + 2 * QUIET_ZONE)
    symbol = _render_matrix(matrix, box, QUIET_ZONE)
    left = width - symbol.width
    top = height - symbol.height
    badge.paste(symbol, (left, top))

    # Attendee id level with the top of the code, the hint level with its bottom.
    text_width = left - 2 * margin  # text stays out of the quiet zone
    font, lines = fit_lines(attendee_id, text_width, 1, largest=64, smallest=30)
    font.draw(draw, (margin, top + QUIET_ZONE * box), lines[0], fill=BLACK, anchor="lm")
    font, lines = fit_lines(_(BADGE_HINT), text_width, 2, largest=34, smallest=24)
    y = height - QUIET_ZONE * box - int(font.size * 1.25) * (len(lines) - 1)
    for line in lines:
        font.draw(draw, (margin, y), line, fill=DARK_GREY, anchor="ld")
        y += int(font.size * 1.25)
    return badge


def badge_pngs(jobs: Sequence[tuple[str, str, str, str]], parallel: bool | None = None) -> list[bytes]:
    """`badge_png` for many (token, name, attendee id, event name) jobs, in order."""
    return _batch(_badge_job, jobs, parallel)


def _badge_job(job: tuple[str, str, str, str]) -> bytes:
    return badge_png(*job)


def badges_pdf(badges: Sequence[tuple[str, str, str]], event_name: str, parallel: bool | None = None) -> bytes:
    """A4 PDF of (token, name, attendee id) badges, five a page at true size, with cut marks.

    Pages are bilevel images (CCITT G4 inside the PDF): lossless, so QR modules
    stay crisp where JPEG would blur them, and a few hundred KB a page. The
    footer asks for printing at 100 %: "fit to page" would shrink the badges.
    """
    pngs = badge_pngs([(token, name, attendee_id, event_name) for token, name, attendee_id in badges], parallel)
    return badge_sheets_pdf(pngs, event_name)


def badge_sheets_pdf(pngs: Sequence[bytes], event_name: str) -> bytes:
    """The PDF of `badges_pdf` from badges already drawn by `badge_pngs` (a ZIP of the same badges
    often goes with it, and drawing 2,000 badges twice would double the wait)."""
    per_page = len(SHEET_SLOTS)
    chunks = [pngs[start : start + per_page] for start in range(0, len(pngs), per_page)] or [[]]
    pages = [_sheet(chunk, number, len(chunks), event_name) for number, chunk in enumerate(chunks, 1)]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI, title=event_name)
    return out.getvalue()


def _sheet(pngs: Sequence[bytes], number: int, count: int, event_name: str) -> Image.Image:
    """One page: the badges in `SHEET_SLOTS` (the right-hand ones turned a quarter), and a
    cut mark in line with every badge edge, in the margins only, so no mark crosses a badge."""
    page = Image.new("L", PAGE_SIZE, WHITE)
    draw = ImageDraw.Draw(page)
    for png, (left, top, right, bottom) in zip(pngs, SHEET_SLOTS, strict=False):
        badge = Image.open(io.BytesIO(png))
        if (right - left, bottom - top) != badge.size:
            badge = badge.rotate(90, expand=True)
        page.paste(badge, (left, top))

    off, tick = 12, 70  # 1 mm clear of the badge edge, 6 mm long
    top_edge = min(slot[1] for slot in SHEET_SLOTS)
    bottom_edge = max(slot[3] for slot in SHEET_SLOTS)
    for left, top, right, bottom in SHEET_SLOTS:
        for x in (left, right):  # vertical cuts run the page's whole height, through gaps only
            draw.line((x, top_edge - off - tick, x, top_edge - off), fill=BLACK, width=2)
            draw.line((x, bottom_edge + off, x, bottom_edge + off + tick), fill=BLACK, width=2)
        outside_left = left == min(slot[0] for slot in SHEET_SLOTS)
        for y in (top, bottom):  # then each column's strip is cut across, marked on its outer side
            if outside_left:
                draw.line((left - off - tick, y, left - off, y), fill=BLACK, width=2)
            else:
                draw.line((right + off, y, right + off + tick, y), fill=BLACK, width=2)

    # Translators: the foot of an A4 page of badges; {event} is the event's name, {number} and {count} pages.
    footer = _("{event} · badges, page {number} of {count} · print at 100 % (actual size), cut along the marks").format(
        event=event_name, number=number, count=count
    )
    font, lines = fit_lines(footer, PAGE_SIZE[0] - 2 * SHEET_SLOTS[0][0], 1, largest=32, smallest=20)
    font.draw(draw, (PAGE_SIZE[0] // 2, bottom_edge + off + tick + 40), lines[0], fill=DARK_GREY, anchor="ma")
    return page.point(lambda value: 0 if value < 128 else 255).convert("1", dither=Image.Dither.NONE)


# ---------------------------------------------------------------- posters


def poster_png(
    link: str, title: str, room: str, time_window: str, event_name: str, bot_username: str = "", code: str = ""
) -> bytes:
    """PNG of an A4 check-in poster at 300 DPI (2480 × 3508 px, DPI stored in the file); with the
    bot's username and the poster's code, it also says what to send for a camera that opens no links."""
    # Black and white: an A4 page at 300 DPI in grayscale is ~100 KB, bilevel ~20 KB, and a ZIP of
    # every poster must stay under Telegram's 50 MB upload limit. At 300 DPI the text stays smooth on paper.
    image = _poster_image(link, title, room, time_window, event_name, bot_username, code)
    return _png(image.convert("1", dither=Image.Dither.NONE), 6)


def _poster_image(
    link: str, title: str, room: str, time_window: str, event_name: str, bot_username: str, code: str
) -> Image.Image:
    """Text stacked from the top (event, session title, room, time), the scan instruction
    at the bottom, and the QR code as large as the space between allows: at A4 it is
    ~15 cm across, readable from a few metres down a corridor."""
    width, height = PAGE_SIZE
    margin = 170  # 14 mm: outside every office printer's unprintable border
    text_width = width - 2 * margin
    poster = Image.new("L", PAGE_SIZE, WHITE)
    draw = ImageDraw.Draw(poster)

    y = margin
    blocks = [
        (event_name, 2, 90, 56, False, DARK_GREY, 70),
        (title, 3, 170, 84, True, BLACK, 90),
        (room, 1, 120, 64, True, BLACK, 20),
        (time_window, 1, 110, 60, False, BLACK, 0),
    ]
    for text, max_lines, largest, smallest, bold, fill, gap_after in blocks:
        if not text.strip():
            continue
        font, lines = fit_lines(text, text_width, max_lines, largest, smallest, bold)
        pitch = int(font.size * 1.2)
        for line in lines:
            font.draw(draw, (width // 2, y), line, fill=fill, anchor="ma")
            y += pitch
        y += gap_after

    # From the bottom up: what to send in Telegram (when the poster knows), then the scan instruction.
    hint_top = height - margin
    if bot_username and code:
        text = _(NO_CAMERA_HINT).format(bot=bot_username, code=code)
        hint_top = _stack_up(draw, text, hint_top, text_width, 3, 72, 44, False, DARK_GREY) - 40
    hint_top = _stack_up(draw, _(SCAN_HINT), hint_top, text_width, 1, 110, 60, True, BLACK)

    matrix = build_qr(link).get_matrix()
    modules = len(matrix) + 2 * QUIET_ZONE
    box = min(text_width // modules, (hint_top - y) // modules)
    symbol = _render_matrix(matrix, box, QUIET_ZONE)
    poster.paste(symbol, ((width - symbol.width) // 2, y + (hint_top - y - symbol.height) // 2))
    return poster


def _stack_up(draw, text, bottom, width, max_lines, largest, smallest, bold, fill) -> int:
    """Draw `text` centred, its last line ending at `bottom`; return where its first line starts."""
    font, lines = fit_lines(text, width, max_lines, largest, smallest, bold)
    pitch = int(font.size * 1.2)
    top = bottom - pitch * len(lines)
    for number, line in enumerate(lines):
        font.draw(draw, (PAGE_SIZE[0] // 2, top + number * pitch), line, fill=fill, anchor="ma")
    return top


def poster_pngs(jobs: Sequence[tuple[str, ...]], parallel: bool | None = None) -> list[bytes]:
    """`poster_png` for many (link, title, room, time window, event name[, bot username, code]) jobs, in order."""
    return _batch(_poster_job, jobs, parallel)


def _poster_job(job: tuple[str, ...]) -> bytes:
    return poster_png(*job)


# ---------------------------------------------------------------- shared


def _png(image: Image.Image, compress_level: int = 1) -> bytes:
    out = io.BytesIO()
    # Large flat areas: fast zlib compression is nearly as small as optimize=True, many times faster.
    image.save(out, format="PNG", dpi=(DPI, DPI), compress_level=compress_level)
    return out.getvalue()


def _batch(job: Callable[[tuple], bytes], jobs: Sequence[tuple], parallel: bool | None) -> list[bytes]:
    """Run `job` over `jobs`, in order, over worker processes when the batch is large.

    As in `bot.files.qr.qr_pngs`: rendering is CPU-bound Python (QR mask selection,
    text layout), so one process uses one core. Spawned, not forked: the bot's
    process has threads, and forking a threaded process can deadlock the child.
    """
    if parallel is None:
        parallel = len(jobs) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1
    if not parallel:
        return [job(item) for item in jobs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=context) as pool:
        chunk = max(1, len(jobs) // (4 * (os.cpu_count() or 1)))
        # A spawned process starts in the source language: each job is told the one speaking here.
        return list(pool.map(partial(_speaking, job, i18n.current()), jobs, chunksize=chunk))


def _speaking(job: Callable[[tuple], bytes], language: str, item: tuple) -> bytes:
    with i18n.speaking(language):
        return job(item)
