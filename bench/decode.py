"""Badge-photo decoding: zxing-cpp against pyzbar, each with its fallback chain.

The photos are the synthetic realistic mix of tests/images.py (1280 px JPEGs:
tilted, off-axis, defocused, shaken, unevenly lit, noisy), generated afresh
and identically on every run. Both decoders see every photo in the same run,
one right after the other, so a noisy machine slows both alike. Time is the
wall time of one `decode_qr(jpeg_bytes)` call in one thread, JPEG decoding
included: what a scanner's photo costs the bot.

Run: python -m bench.decode [n]
"""

from __future__ import annotations

import statistics
import sys
import time

from bot.files.qr import decode_qr
from tests.images import realistic_set, sample_tokens

DECODERS = {"zxing": "zxing-cpp", "pyzbar": "pyzbar"}
READ_TARGET = 99.0
P95_TARGET_MS = 60.0


def run(n: int = 200) -> list[dict]:
    """Decode `n` photos with both decoders, with and without fallbacks; rows for the report."""
    photos = realistic_set(sample_tokens(50), n=n, seed=0)
    decode_qr(photos[0][1])  # warm up imports and caches
    stats = {(decoder, fallbacks): {"hits": 0, "ms": []} for decoder in DECODERS for fallbacks in (True, False)}
    for expected, jpeg in photos:
        for (decoder, fallbacks), entry in stats.items():
            started = time.perf_counter()
            found = decode_qr(jpeg, decoder, fallbacks=fallbacks)
            entry["ms"].append((time.perf_counter() - started) * 1000)
            entry["hits"] += expected in found
    return _rows(stats, n)


def _rows(stats: dict, n: int) -> list[dict]:
    zxing, pyzbar = stats["zxing", True], stats["pyzbar", True]
    rate = {key: 100 * entry["hits"] / n for key, entry in stats.items()}
    p50 = {key: statistics.median(entry["ms"]) for key, entry in stats.items()}
    p95 = {key: _percentile(entry["ms"], 95) for key, entry in stats.items()}
    z, p = ("zxing", True), ("pyzbar", True)
    return [
        _row(
            f"badge photo read rate (zxing-cpp + fallbacks, n={n})",
            f"{rate[z]:.1f} %",
            f"≥ {READ_TARGET:g} %",
            f"pyzbar + fallbacks: {rate[p]:.1f} % (zxing {rate[z] / max(rate[p], 0.1):.2f}x)",
        ),
        _row(
            "badge photo read rate, first pass only (zxing-cpp)",
            f"{rate['zxing', False]:.1f} %",
            "—",
            f"pyzbar first pass: {rate['pyzbar', False]:.1f} %",
        ),
        _row(
            "badge photo decode p50 (zxing-cpp + fallbacks)",
            f"{p50[z]:.1f} ms",
            "—",
            f"pyzbar + fallbacks: {p50[p]:.1f} ms (zxing {p50[p] / p50[z]:.1f}x faster)",
        ),
        _row(
            "badge photo decode p95 (zxing-cpp + fallbacks)",
            f"{p95[z]:.1f} ms",
            f"≤ {P95_TARGET_MS:g} ms",
            f"pyzbar + fallbacks: {p95[p]:.1f} ms (zxing {p95[p] / p95[z]:.1f}x faster)",
        ),
        _row(
            "badge photo decode max (zxing-cpp + fallbacks)",
            f"{max(zxing['ms']):.1f} ms",
            "—",
            f"pyzbar + fallbacks: {max(pyzbar['ms']):.1f} ms",
        ),
    ]


def _percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _row(figure: str, value: str, target: str, comparison: str) -> dict:
    return {"figure": figure, "value": value, "target": target, "comparison": comparison}


if __name__ == "__main__":
    from bench.__main__ import print_table

    print_table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
