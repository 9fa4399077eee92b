"""Benchmark: 100,000-row check-in and check-out reports, as `/report` builds them.

Each variant runs in a fresh subprocess and reports its own peak resident
memory (VmHWM, else ru_maxrss), which counts everything the process touched: Python,
the XLSX writer, SQLite's cache, the finished file. tracemalloc would miss memory
allocated outside Python objects. A "baseline" child that only imports and
opens the database shows what the interpreter costs before any report.

Reports are written with XlsxWriter (`bot.files.spreadsheet.xlsx_bytes`). The
"-openpyxl" children go through the same code path
(`bot.services.reports.build_report`) but swap in the same workbook written
with openpyxl's write-only mode (what the bot used before), so the two writers
are compared in one run, on one machine, from one database.

    python -m bench.reports            # table of figures
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROWS = 100_000
SESSIONS = 100
ATTENDEES = 5_000
REFUSED = 1_000
TIME_TARGET_RATIO = 0.6  # of openpyxl's write-only time for the same report, in the same run
MEMORY_TARGET_MB = 120.0
STALL_TARGET_MS = 100.0
VARIANTS = ("baseline", "xlsx", "xlsx-openpyxl", "csv", "checkouts-xlsx", "checkouts-openpyxl")


def _stamp(moment: datetime) -> str:
    """The database's UTC text format, from a naive UTC time (isoformat is far quicker than strftime)."""
    return moment.isoformat(timespec="microseconds") + "Z"


def make_database(path: Path, rows: int = ROWS) -> float:
    """An event with `rows` check-ins (each followed by a check-out) and some
    refused attempts, written with executemany in one transaction. Returns seconds."""
    started = time.perf_counter()
    from bot.storage.db import Database

    async def migrate() -> None:
        db = await Database(path).open()
        await db.close()

    asyncio.run(migrate())

    rng = random.Random(5)
    day = datetime(2026, 5, 14, 7, 0)
    now = _stamp(day)
    sessions = [
        (
            f"S{n:03d}",
            f"Session {n}: a talk about things",
            _stamp(day + timedelta(minutes=30 * n)),
            _stamp(day + timedelta(minutes=30 * n + 45)),
        )
        for n in range(SESSIONS)
    ]
    attendees = [
        (f"REG-{n:05d}", f"Attendee {n} Ñame", f"person{n}@example.org", f"tok{n}", now) for n in range(ATTENDEES)
    ]
    per_person = rows // ATTENDEES
    log = []
    for a in range(ATTENDEES):
        for s in rng.sample(range(SESSIONS), per_person):
            start = day + timedelta(minutes=30 * s, seconds=rng.randint(0, 600))
            left = start + timedelta(minutes=rng.randint(5, 45))
            scanner = 9000 + a % 20 if a % 4 == 0 else None
            who = (f"REG-{a:05d}", f"S{s:03d}")
            log.append((_stamp(start), "IN", *who, "scan" if scanner else "pin", 1, "ok", scanner))
            log.append((_stamp(left), "OUT", *who, "pin", 1, "ok", None))
    refused = [(_stamp(day), "IN", f"REG-{n:05d}", "S001", "pin", 0, "session_full", None) for n in range(REFUSED)]
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO sessions (session_id, title, starts_at, ends_at) VALUES (?, ?, ?, ?)", sessions)
        conn.executemany(
            "INSERT INTO attendees (attendee_id, name, email, invite_token, created_at) VALUES (?, ?, ?, ?, ?)",
            attendees,
        )
        conn.executemany(
            "INSERT INTO registrations (attendee_id, session_id) VALUES (?, ?)", {(r[2], r[3]) for r in log[::4]}
        )
        conn.executemany(
            "INSERT INTO telegram_users (user_id, username, first_name, seen_at) VALUES (?, ?, ?, ?)",
            [(9000 + n, f"door{n}", f"Door {n}", now) for n in range(20)],
        )
        conn.executemany(
            "INSERT INTO attendance_log (at, direction, attendee_id, session_id, method, accepted, "
            "reason, scanner_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            log + refused,
        )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # start every child from a settled file
    return time.perf_counter() - started


# ---------------------------------------------------------------- child process


def _openpyxl_xlsx(sheets) -> bytes:
    """The same workbook with openpyxl's write-only mode, as the bot wrote reports before
    XlsxWriter: bold frozen header, widths, autofilter, escaped text, dates in the language's
    format. Kept here only to measure against."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from bot import i18n
    from bot.files.spreadsheet import date_time_formats, escape_cell

    workbook = Workbook(write_only=True)
    formats = date_time_formats(i18n.current())
    bold = Font(bold=True)

    def value(v, worksheet):
        if isinstance(v, str):
            return escape_cell(ILLEGAL_CHARACTERS_RE.sub("", v)) or None
        if formats is not None and isinstance(v, datetime):
            cell = WriteOnlyCell(worksheet, value=v)
            cell.number_format = formats[0]
            return cell
        return v

    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.title)
        for number, column in enumerate(sheet.columns, 1):
            worksheet.column_dimensions[get_column_letter(number)].width = column.width
        worksheet.freeze_panes = "A2"
        header = []
        for text in sheet.headers:
            cell = WriteOnlyCell(worksheet, value=text)
            cell.font = bold
            header.append(cell)
        worksheet.append(header)
        for row in sheet:
            worksheet.append([value(v, worksheet) for v in row])
        worksheet.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{sheet.written + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _longest_stall(stop: asyncio.Event, tick: float = 0.01) -> float:
    """Longest delay of a 10 ms timer: how long check-in replies would wait."""
    worst = 0.0
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(tick)
        worst = max(worst, time.perf_counter() - before - tick)
    return worst


async def _child(variant: str, db_path: str) -> dict:
    from bot.config import load_settings
    from bot.files import spreadsheet
    from bot.services import reports
    from bot.services.context import AppContext
    from bot.storage.db import Database

    settings = load_settings({"EVENT_TIMEZONE": "Europe/Paris", "DATABASE_PATH": db_path}, require_token=False)
    db = await Database(db_path).open()
    ctx = AppContext(
        db=db, settings=settings, badge_secret="bench-secret-not-used-here", timezone=settings.event_timezone
    )
    result = {"rows": 0, "bytes": 0, "seconds": 0.0, "cpu_seconds": 0.0, "stall_ms": 0.0, "ready_mb": _peak_mb()}
    if variant != "baseline":
        if variant.endswith("-openpyxl"):
            spreadsheet.xlsx_bytes = _openpyxl_xlsx
        kind = "checkouts" if variant.startswith("checkouts") else "checkins"
        stop = asyncio.Event()
        watcher = asyncio.create_task(_longest_stall(stop))
        started, cpu = time.perf_counter(), time.process_time()
        report = await reports.build_report(ctx, kind, "csv" if variant == "csv" else "xlsx")
        result["seconds"] = time.perf_counter() - started
        result["cpu_seconds"] = time.process_time() - cpu
        stop.set()
        result.update(rows=report.rows, bytes=len(report.data), stall_ms=1000 * await watcher)
    await db.close()
    result["peak_mb"] = _peak_mb()
    return result


def _peak_mb() -> float:
    """Peak resident memory of this process so far.

    Linux's VmHWM belongs to the process's own memory map; ru_maxrss would
    also carry the parent's peak across fork and exec (the parent has just
    built 200,000 rows), so it is only the fallback elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(variant: str, db_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.reports", "--child", variant, str(db_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- figures


def _mb(value: float) -> str:
    return f"{value:.0f} MB"


def _growth(result: dict) -> str:
    return _mb(result["peak_mb"] - result["ready_mb"])


def _timed(result: dict) -> str:
    return f"{result['seconds']:.2f} s (CPU {result['cpu_seconds']:.2f} s)"


def _ratio(new: dict, old: dict) -> str:
    return f"{new['seconds'] / old['seconds']:.2f}x (CPU {new['cpu_seconds'] / old['cpu_seconds']:.2f}x)"


def run() -> list[dict]:
    """Wall time is what the organiser waits; CPU time is shown too because it
    depends less on what else the machine is doing (the load average is given)."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench-reports.db"
        generated = make_database(db_path)
        r = {variant: _run_child(variant, db_path) for variant in VARIANTS}
    load_end = os.getloadavg()[0]
    base, fast, slow, csv_ = r["baseline"], r["xlsx"], r["xlsx-openpyxl"], r["csv"]
    out, out_slow = r["checkouts-xlsx"], r["checkouts-openpyxl"]
    ratio_target = f"≤ {TIME_TARGET_RATIO}x openpyxl"
    memory_target = f"≤ {MEMORY_TARGET_MB:.0f} MB"
    return [
        {
            "figure": f"/report checkins XLSX, {fast['rows']:,} rows: time (XlsxWriter, constant memory)",
            "value": f"{_timed(fast)} = {_ratio(fast, slow)} openpyxl",
            "target": ratio_target,
            "comparison": f"openpyxl write-only, same run: {_timed(slow)}; load average {load:.1f} at start, "
            f"{load_end:.1f} at end",
        },
        {
            "figure": "/report checkins XLSX: peak memory of the process (RSS)",
            "value": _mb(fast["peak_mb"]),
            "target": memory_target,
            "comparison": f"openpyxl write-only: {_mb(slow['peak_mb'])}; before building (Python, imports, open DB): "
            f"{_mb(base['peak_mb'])}; growth while building: XlsxWriter +{_growth(fast)}, "
            f"openpyxl +{_growth(slow)}",
        },
        {
            "figure": "/report checkins XLSX: file size",
            "value": f"{fast['bytes'] / 1e6:.1f} MB",
            "target": "≤ 50 MB (bot upload limit)",
            "comparison": f"openpyxl write-only: {slow['bytes'] / 1e6:.1f} MB",
        },
        {
            "figure": "longest event-loop stall while the XLSX is built",
            "value": f"{max(fast['stall_ms'], out['stall_ms']):.0f} ms",
            "target": f"≤ {STALL_TARGET_MS:.0f} ms (check-ins keep being answered)",
            "comparison": f"check-ins {fast['stall_ms']:.0f} ms, check-outs {out['stall_ms']:.0f} ms; "
            f"openpyxl: {slow['stall_ms']:.0f} / {out_slow['stall_ms']:.0f} ms",
        },
        {
            "figure": f"/report checkouts XLSX, {out['rows']:,} lines: time / peak memory",
            "value": f"{_timed(out)} = {_ratio(out, out_slow)} openpyxl / {_mb(out['peak_mb'])}",
            "target": f"{ratio_target} / {memory_target}",
            "comparison": f"openpyxl write-only, same run: {_timed(out_slow)} / {_mb(out_slow['peak_mb'])}",
        },
        {
            "figure": f"/report checkins CSV, {csv_['rows']:,} rows: time / peak memory",
            "value": f"{_timed(csv_)} / {_mb(csv_['peak_mb'])}",
            "target": f"— / {memory_target}",
            "comparison": "the rows without a workbook: what any XLSX writer adds to",
        },
        {
            "figure": f"bench database ({2 * ROWS + REFUSED:,} log rows) generated in",
            "value": f"{generated:.1f} s",
            "target": "—",
            "comparison": "executemany, one transaction",
        },
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(asyncio.run(_child(sys.argv[2], sys.argv[3]))))
    else:
        from bench.__main__ import print_table

        print_table(run())
