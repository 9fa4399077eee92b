"""`make bench`: every benchmark of the project in one table, with the machine it ran on."""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time

MODULES = [
    "bench.checkins",
    "bench.e2e",
    "bench.outbox",
    "bench.decode",
    "bench.miniapp",
    "bench.displays",
    "bench.dashboard",
    "bench.reports",
    "bench.shortlinks",
    "bench.certificates",
]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"
    )


def main() -> None:
    rows = []
    for name in MODULES:
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
            rows.extend(module.run())
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            rows.append({"figure": name, "value": "failed", "target": "", "comparison": f"{type(exc).__name__}: {exc}"})
        print(f"  {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    """The machine and date, then the rows as a Markdown table (pasted into the README)."""
    headers = ["figure", "value", "target", "comparison"]
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print(f"\nMachine: {machine()}  ·  {time.strftime('%Y-%m-%d')}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[h]).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
