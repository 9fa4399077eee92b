"""Restoring a backup exactly as README.md ("Restoring a backup") and docs/deployment.md ("Restoring
from a backup") say: the event's check-ins and settings come back, and the bot's context and the
command line read them. And the backup command itself: never over the live database, and no copy
kept that fails SQLite's integrity check.

The live event is the sample event (tests/service_event.py) with a few check-ins, in a directory laid
out like the install directory: its `.env` names `attendance.db` and the event's zone, and sets no
`BADGE_SECRET`, so the badge secret lives in the database and must come back with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dotenv import dotenv_values

from admin_commands.__main__ import run as attendance_admin
from bot.config import SETTING_NAMES, load_settings
from bot.domain import badges
from bot.services import backup, checkin
from bot.services.attendance import PinEntry
from bot.services.checkin import RequestKey
from bot.services.context import Person, build_context
from bot.storage import db as storage_db
from bot.storage.db import Database
from tests.service_event import sample_event

pytestmark = pytest.mark.slow  # two runs of the command line as a process

NOW = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)  # 10:00 in Paris: the keynote S1 (PINs KEY1IN / KEY1OUT) runs
ADA = Person(4242, "Ada", username="ada_l")  # REG-1
CLEO = Person(333, "Cleo")  # REG-3
SAM = Person(9999, "Sam")  # a walk-in
LATE = Person(8888, "Lena")  # checks in after the backup: the restore takes the event back to before her
ROOT = Path(__file__).resolve().parent.parent
LOG = "SELECT direction, accepted, reason, attendee_id, session_id, method FROM attendance_log ORDER BY id"


def clean_environment() -> dict[str, str]:
    """This process's environment without any of the bot's settings: only the install's .env counts."""
    return {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}


async def rows(db: Database, sql: str) -> list[tuple]:
    return [tuple(row) for row in await db.read(lambda conn: conn.execute(sql).fetchall())]


async def test_a_backup_restored_as_the_runbook_says_brings_back_the_event(tmp_path, monkeypatch):
    install = tmp_path / "attendance"  # /opt/attendance on the organiser's server
    install.mkdir()
    (install / ".env").write_text("DATABASE_PATH=attendance.db\nEVENT_TIMEZONE=Europe/Paris\n")
    backups = install / "backups"
    backups.mkdir()
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(install)  # the unit's WorkingDirectory, where cron's `cd` goes too
    for name, value in dotenv_values(install / ".env").items():
        monkeypatch.setenv(name, value)

    (tmp_path / "setup").mkdir()
    async with sample_event(tmp_path / "setup", clock=lambda: NOW) as imported:  # the agenda and people
        await imported.db.backup_to(install / "attendance.db")
    db = await Database(Path("attendance.db")).open()
    live = await build_context(load_settings(require_token=False), db, clock=lambda: NOW)
    updates = iter(range(1, 100))
    for person, pin in ((ADA, "KEY1IN"), (CLEO, "key1in"), (SAM, "KEY1IN"), (ADA, "KEY1OUT"), (CLEO, "WRONG1")):
        await checkin.check_in(live, person, PinEntry(pin), RequestKey.chat(next(updates)))
    at_backup = await rows(db, LOG)
    assert [(r[0], r[1], r[2]) for r in at_backup] == [
        ("IN", 1, "ok"),
        ("IN", 1, "ok"),
        ("IN", 1, "ok"),
        ("OUT", 1, "ok"),
        ("IN", 0, "unknown_pin"),
    ]
    secret, zone = live.badge_secret, live.timezone.key
    assert zone == "Europe/Paris" and secret  # generated at the first start and kept in the database

    # The nightly cron line, while the bot runs: attendance-admin backup backups/attendance-<day>.db
    assert await attendance_admin(["backup", "backups/attendance-Thu.db"]) == 0

    # After the backup: one more check-in, then the bot dies and leaves its -wal and -shm files behind.
    await checkin.check_in(live, LATE, PinEntry("KEY1IN"), RequestKey.chat(next(updates)))
    for suffix in ("", "-wal", "-shm"):  # what is on the disk at the moment of a crash
        shutil.copy(install / f"attendance.db{suffix}", tmp_path / f"crashed.db{suffix}")
    await db.close()  # "systemctl stop attendance-bot"
    for suffix in ("", "-wal", "-shm"):
        shutil.copy(tmp_path / f"crashed.db{suffix}", install / f"attendance.db{suffix}")
    assert (install / "attendance.db-wal").stat().st_size > 0  # the crashed bot's journal, not the backup's

    # The runbook: copy the backup over DATABASE_PATH, remove the -wal and -shm files.
    shutil.copy(backups / "attendance-Thu.db", install / "attendance.db")
    for leftover in ("attendance.db-wal", "attendance.db-shm"):
        (install / leftover).unlink(missing_ok=True)

    # Check it with the command line, as the bot's user from the install directory (it reads .env).
    said = {}
    for command in (["pins"], ["report", "checkins", "--csv", "-o", "restored-checkins.csv"]):
        said[command[0]] = done = subprocess.run(
            [sys.executable, "-m", "admin_commands", *command],
            cwd=install,
            env=clean_environment() | {"PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # no "created a new event database", no refused time zone
    assert "KEY1IN" in said["pins"].stdout and "KEY1OUT" in said["pins"].stdout
    assert said["report"].stdout.startswith("Wrote restored-checkins.csv (3 row(s))")
    report = (install / "restored-checkins.csv").read_text("utf-8-sig")
    assert "REG-1" in report and "REG-3" in report and "Lena" not in report

    # Start the bot: its database and context, from the same settings.
    db = await Database(load_settings(require_token=False).database_path).open()
    try:
        assert await rows(db, "PRAGMA integrity_check") == [("ok",)]
        restored = await build_context(load_settings(require_token=False), db, clock=lambda: NOW)
        assert await rows(db, LOG) == at_backup  # every check-in up to the backup, and nothing else
        assert restored.timezone.key == "Europe/Paris"
        assert restored.badge_secret == secret  # badges printed before the backup still scan GREEN
        assert badges.make_token(restored.badge_secret, "REG-1", 1) == badges.make_token(secret, "REG-1", 1)
    finally:
        await db.close()


async def test_backup_refuses_the_live_database_and_keeps_no_copy_that_fails_its_check(tmp_path, monkeypatch, capsys):
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", "attendance.db")
    monkeypatch.setenv("EVENT_TIMEZONE", "Europe/Paris")
    (tmp_path / "setup").mkdir()
    async with sample_event(tmp_path / "setup", clock=lambda: NOW) as imported:
        await imported.db.backup_to(tmp_path / "attendance.db")
    live = (tmp_path / "attendance.db").read_bytes()
    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "same.db").hardlink_to(tmp_path / "attendance.db")

    for target in ("attendance.db", "./attendance.db", "backups/same.db", "attendance.db-wal"):
        assert await attendance_admin(["backup", target]) == 2, target
        said = capsys.readouterr()
        assert said.out == "" and len(said.err.splitlines()) == 1, (target, said)
    assert (tmp_path / "attendance.db").read_bytes() == live

    assert await attendance_admin(["backup", "backups/good.db"]) == 0
    assert capsys.readouterr().out.startswith("Backed up ")
    assert storage_db.integrity_problems(tmp_path / "backups" / "good.db") == []

    # A copy that comes out damaged (a failing disk under the backups): checked, removed, said in one line.
    copy = backup.backup_copy

    async def damaged(ctx):
        data, pages = await copy(ctx)
        page = 4096
        return data[: 2 * page] + bytes(range(256)) * (page // 256) + data[3 * page :], pages

    monkeypatch.setattr(backup, "backup_copy", damaged)
    assert await attendance_admin(["backup", "backups/bad.db"]) == 2
    said = capsys.readouterr()
    assert said.out == "" and len(said.err.splitlines()) == 1, said
    assert "failed SQLite's integrity check" in said.err and "removed" in said.err, said.err
    assert not (tmp_path / "backups" / "bad.db").exists()
