"""Paths the command line is given: DATABASE_PATH and every output file, each mistake one line.

The rule for output files (admin_commands/output.py): the extension must be one the command
writes, a missing directory is created, files are written with the usual permissions, ZIP
members included. A DATABASE_PATH that cannot hold the database stops every command with
the bot's own sentence and exit code 2.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest

from admin_commands.__main__ import main
from tests.conftest import ATTENDEES_CSV, SESSIONS_CSV


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ended:
        main(list(argv))
    out, err = capsys.readouterr()
    return ended.value.code, out, err


def one_line(capsys, *argv: str, code: int = 2) -> str:
    result, out, err = cli(capsys, *argv)
    assert result == code, (result, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def event(tmp_path, monkeypatch, capsys) -> Path:
    """An event database made by the command line, in a working directory of its own."""
    monkeypatch.chdir(tmp_path)
    for name in ("EVENT_TIMEZONE", "BOT_TOKEN", "ADMIN_IDS", "EVENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "event.db"))
    monkeypatch.setenv("BOT_USERNAME", "event_bot")
    monkeypatch.setenv("BADGE_SECRET", "a-test-secret-of-enough-length")
    (tmp_path / "s.csv").write_text(SESSIONS_CSV)
    (tmp_path / "a.csv").write_text(ATTENDEES_CSV)
    assert cli(capsys, "import", "s.csv", "a.csv")[0] == 0
    assert cli(capsys, "shortlink", "SL001", "S1")[0] == 0
    return tmp_path / "event.db"


def usual_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


# ------------------------------------------------------------------ DATABASE_PATH


def bad_database(tmp_path: Path, kind: str) -> tuple[Path, str]:
    """A DATABASE_PATH of the given kind, and the sentence after "Cannot start: "."""
    if kind == "missing directory":
        path = tmp_path / "data" / "event.db"
        return path, (
            f"DATABASE_PATH={path}: the directory {tmp_path / 'data'} does not exist. "
            f"Create it (mkdir -p {tmp_path / 'data'}) or set DATABASE_PATH to a file in an existing directory."
        )
    if kind == "a directory":
        return tmp_path, (
            f"DATABASE_PATH={tmp_path} is a directory, not a database file. Set DATABASE_PATH to a file in it, "
            f"e.g. DATABASE_PATH={tmp_path / 'attendance.db'}."
        )
    if kind == "under a file":
        (tmp_path / "notes").write_text("hello\n")
        path = tmp_path / "notes" / "event.db"
        return path, (
            f"DATABASE_PATH={path}: {tmp_path / 'notes'} is a file, not a directory. "
            "Set DATABASE_PATH to a file in a directory."
        )
    path = tmp_path / "event.db"
    if kind == "a text file":
        path.write_text("session_id,title\nS1,Keynote\n")
        reason = "file is not a database"
    else:  # a truncated database
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (x)")
            conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 500)
        conn.close()
        path.write_bytes(path.read_bytes()[:3000])
        reason = "database disk image is malformed"
    return path, (
        f"DATABASE_PATH={path} is not an SQLite database ({reason}). Set DATABASE_PATH to the event's database "
        "(or restore it from a backup), or to a new file name to start a new event."
    )


DATABASE_MISTAKES = ["missing directory", "a directory", "under a file", "a text file", "a truncated database"]


@pytest.mark.parametrize("kind", DATABASE_MISTAKES)
@pytest.mark.parametrize("command", [["pins"], ["import", "s.csv"], ["backup", "copy.db"]])
def test_a_database_path_that_cannot_hold_the_event_is_one_line_and_exit_2(
    tmp_path, monkeypatch, capsys, kind, command
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    (work / "s.csv").write_text(SESSIONS_CSV)
    path, sentence = bad_database(tmp_path, kind)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    monkeypatch.setenv("DATABASE_PATH", str(path))
    assert one_line(capsys, *command) == f"Cannot start: {sentence}"
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "nothing is created"


def test_a_database_this_user_cannot_write_is_one_line(tmp_path, monkeypatch):
    """Checked with os.access, so that it holds when the tests run as root too (root may write anything)."""
    from bot.storage import database_file
    from bot.telegram.startup_texts import database_unusable

    path = tmp_path / "event.db"
    sqlite3.connect(path).close()
    real_access = os.access
    for read_only in (path, tmp_path):
        monkeypatch.setattr(os, "access", lambda p, mode, ro=read_only: Path(p) != ro and real_access(p, mode))
        with pytest.raises(database_file.DatabaseUnusable) as refused:
            database_file.check(path)
        assert database_unusable(refused.value) == (
            f"DATABASE_PATH={path}: {read_only} cannot be written by this user. Let the user running the bot "
            f"write to {tmp_path} and to event.db in it (SQLite also writes event.db-wal and event.db-shm there)."
        )


# ------------------------------------------------------------------ output files


@pytest.mark.parametrize(
    "argv, sentence",
    [
        (
            ["badges", "-o", "b.docx"],
            "Cannot write b.docx: attendance-admin badges writes .zip or .pdf files. Name the output e.g. b.zip.",
        ),
        (
            ["shortlink-qr", "-o", "x.txt"],
            "Cannot write x.txt: attendance-admin shortlink-qr writes .zip files. Name the output e.g. x.zip.",
        ),
        (
            ["report", "checkins", "-o", "r.pdf"],
            "Cannot write r.pdf: attendance-admin report writes .xlsx or .csv files. Name the output e.g. r.xlsx.",
        ),
        (
            ["report", "checkins", "--csv", "-o", "r.xlsx"],
            "Cannot write r.xlsx: attendance-admin report --csv writes .csv files. Name the output e.g. r.csv.",
        ),
        (
            ["invites", "-o", "links.xlsx"],
            "Cannot write links.xlsx: attendance-admin invites writes .csv files. Name the output e.g. links.csv.",
        ),
        (
            ["backup", "copy"],
            "Cannot write copy: attendance-admin backup writes .db, .sqlite or .sqlite3 files. "
            "Name the output e.g. copy.db.",
        ),
        (
            ["badges", "-o", "s.csv/b.pdf"],
            "Cannot write s.csv/b.pdf: s.csv is a file, not a directory. Choose another output name.",
        ),
        (
            ["backup", "event.db"],
            "Cannot write event.db: that is the event database itself. Back it up to another file.",
        ),
    ],
)
def test_an_output_the_command_cannot_write_is_one_line_and_exit_2(event, capsys, argv, sentence):
    before = sorted(p.name for p in event.parent.iterdir())
    database = event.read_bytes()
    assert one_line(capsys, *argv) == sentence
    assert sorted(p.name for p in event.parent.iterdir()) == before
    assert event.read_bytes() == database


@pytest.mark.parametrize(
    "argv, written, line",
    [
        (["badges", "-o", "out/b.pdf"], "out/b.pdf", "Wrote 3 badge(s) to out/b.pdf"),
        (["badges", "-o", "out/sub/b.ZIP"], "out/sub/b.ZIP", "Wrote 3 badge(s) to out/sub/b.ZIP"),
        (
            ["shortlink-qr", "-o", "posters/p.zip"],
            "posters/p.zip",
            "Wrote 1 check-in poster(s) (A4, 300 DPI) to posters/p.zip",
        ),
        (["invites", "-o", "mail/links.csv"], "mail/links.csv", "Wrote invite links to mail/links.csv"),
        (["report", "checkins", "-o", "reports/r.csv"], "reports/r.csv", "Wrote reports/r.csv (0 row(s))"),
        (["backup", "backups/mon.db"], "backups/mon.db", None),
    ],
)
def test_an_output_in_a_missing_directory_is_written_there_as_an_ordinary_file(event, capsys, argv, written, line):
    code, out, err = cli(capsys, *argv)
    assert (code, err) == (0, "")
    path = event.parent / written
    assert out.strip() == (line or f"Backed up {out.split()[2]} page(s) to {written}")
    assert stat.S_IMODE(path.stat().st_mode) == usual_mode()
    if written.endswith(".db"):
        with sqlite3.connect(path) as copy:
            assert copy.execute("SELECT COUNT(*) FROM sessions").fetchone() == (3,)
        copy.close()
    if "report" in argv:  # the name chose CSV
        assert not path.read_bytes().startswith(b"PK")


def test_a_directory_as_the_output_gets_the_commands_own_file_name(event, capsys):
    (event.parent / "out").mkdir()
    assert cli(capsys, "badges", "-o", "out")[0] == 0
    assert cli(capsys, "backup", "out")[0] == 0
    assert sorted(p.name for p in (event.parent / "out").iterdir()) == ["attendance-backup.db", "badges.zip"]


@pytest.mark.parametrize("argv", [["badges", "-o", "b.zip"], ["shortlink-qr", "-o", "p.zip"]])
def test_zip_members_unpack_as_ordinary_files(event, capsys, argv):
    assert cli(capsys, *argv)[0] == 0
    with zipfile.ZipFile(event.parent / argv[-1]) as archive:
        modes = {stat.filemode(info.external_attr >> 16) for info in archive.infolist()}
    assert modes == {"-rw-r--r--"}


def test_the_help_states_the_rule_for_output_files(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "a directory that does not exist yet is created" in " ".join(capsys.readouterr().out.split())
