"""Charts of one session: arrivals per 5 minutes, and people inside over time.

Drawn on the server with matplotlib (Agg: no display, no browser script), as
PNG for the chat and SVG for the dashboard: rows in, bytes out. Times are shown
in the event's zone; the axis labels are in the current reply language (the
caller's context, which `asyncio.to_thread` carries into the drawing thread).
Titles stay off the image: session titles are data in any script, and the page
or the caption around the chart names the session.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from bot.i18n import _

BUCKET = timedelta(minutes=5)
# Okabe-Ito blue and vermillion, told apart with every common colour-vision deficiency: the same
# colours as the dashboard's chart of the day (arrivals: bars, people inside: a line).
ARRIVALS, INSIDE = "#0072b2", "#d55e00"


def session_chart(
    movements: Sequence[tuple[datetime, str]], starts: datetime, ends: datetime, tz: ZoneInfo, fmt: str = "png"
) -> bytes:
    """Arrivals per 5 minutes (bars) above people inside (a step line), from the session's
    effective IN/OUT records in time order; the axis spans the session and every record."""
    times = [at for at, _direction in movements]
    first = min([starts, *times]) - BUCKET
    last = max([ends, *times]) + BUCKET
    arrivals = Counter(_bucket(at) for at, direction in movements if direction == "IN")
    inside, steps = 0, [(first, 0)]
    for at, direction in movements:
        inside = inside + 1 if direction == "IN" else max(inside - 1, 0)
        steps.append((at, inside))
    steps.append((last, inside))

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), dpi=110, sharex=True)
    try:
        bucket_starts = sorted(arrivals)
        top.bar(
            [b.astimezone(tz) for b in bucket_starts],
            [arrivals[b] for b in bucket_starts],
            width=BUCKET * 0.9,
            align="edge",
            color=ARRIVALS,
        )
        # Translators: the axis of a chart: how many people arrived in each 5 minutes.
        top.set_ylabel(_("Arrivals / 5 min"))
        bottom.step([t.astimezone(tz) for t, _n in steps], [n for _t, n in steps], where="post", color=INSIDE)
        bottom.fill_between(
            [t.astimezone(tz) for t, _n in steps], [n for _t, n in steps], step="post", color=INSIDE, alpha=0.15
        )
        # Translators: the axis of a chart: how many people are in the room.
        bottom.set_ylabel(_("People inside"))
        for axis in (top, bottom):
            axis.axvspan(starts.astimezone(tz), ends.astimezone(tz), color="#000000", alpha=0.05, lw=0)
            axis.yaxis.get_major_locator().set_params(integer=True)
            axis.set_ylim(bottom=0)
            axis.grid(axis="y", alpha=0.3)
        bottom.set_xlim(first.astimezone(tz), last.astimezone(tz))
        bottom.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format=fmt)
        return out.getvalue()
    finally:
        plt.close(figure)


def _bucket(at: datetime) -> datetime:
    return at - timedelta(minutes=at.minute % 5, seconds=at.second, microseconds=at.microsecond)
