"""`python -m demo [--output DIR] [--quiet]` (what `make demo` runs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demo import run_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Rehearse a whole event offline: the real bot against a local Telegram stand-in, "
        "with an organiser, a door scanner and attendees following a script.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("demo-output"),
        help="where the reports, QR ZIPs and transcript go (default: demo-output)",
    )
    parser.add_argument("--quiet", action="store_true", help="print only failures; the transcript is still saved")
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="replace")  # a terminal without UTF-8 still gets the transcript
    try:
        result = run_demo(args.output, quiet=args.quiet)
    except KeyboardInterrupt:
        print("\nInterrupted; the bot process was stopped.", file=sys.stderr)
        return 130
    if not result.ok:
        error = result.error or "unknown error"
        # Without --quiet the transcript above already ends with the whole story.
        print(f"\nDemo failed: {error if args.quiet else error.splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
