"""Whether DATABASE_PATH can hold the event's database, found out before anything is created.

`check` only looks: it creates no file and no directory, and opens an existing file
read-only. A missing directory is not created either: a typo in DATABASE_PATH must
stop the start, not begin a new, empty event somewhere else. Both the bot and the
command line call it before they open the database; the wording is in
`bot.telegram.startup_texts.database_unusable`.
"""

from __future__ import annotations

import os
import sqlite3
from enum import StrEnum
from pathlib import Path


class Problem(StrEnum):
    NO_DIRECTORY = "no_directory"  # the directory it names does not exist
    NOT_A_DIRECTORY = "not_a_directory"  # the "directory" it names is a file
    IS_A_DIRECTORY = "is_a_directory"
    NOT_SQLITE = "not_sqlite"  # a text file, a damaged or truncated database
    NOT_WRITABLE = "not_writable"  # the file, or the directory (SQLite writes -wal and -shm beside it)


class DatabaseUnusable(Exception):
    """DATABASE_PATH cannot hold the event's database; `problem` says why."""

    def __init__(self, problem: Problem, path: Path, culprit: Path | None = None, reason: str = "") -> None:
        super().__init__(f"{problem}: {path}")
        self.problem, self.path, self.reason = problem, path, reason
        self.directory = path.parent
        self.culprit = culprit or path  # the file or directory at fault


def check(path: str | Path) -> None:
    """Raise `DatabaseUnusable` unless `path` is an SQLite database we can write, or a new
    file in a directory we can write. Nothing is created."""
    path = Path(os.path.abspath(Path(path)))
    directory = path.parent
    if path.is_dir():
        raise DatabaseUnusable(Problem.IS_A_DIRECTORY, path)
    if not directory.is_dir():
        for parent in (directory, *directory.parents):
            if parent.exists():
                if not parent.is_dir():
                    raise DatabaseUnusable(Problem.NOT_A_DIRECTORY, path, parent)
                break
        raise DatabaseUnusable(Problem.NO_DIRECTORY, path, directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DatabaseUnusable(Problem.NOT_WRITABLE, path, directory)
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseUnusable(Problem.NOT_WRITABLE, path, path)
        reason = _unreadable(path)
        if reason:
            raise DatabaseUnusable(Problem.NOT_SQLITE, path, reason=reason)


def _unreadable(path: Path) -> str:
    """SQLite's reason why `path` is no database it can read ("file is not a database"), or ""."""
    reason = _read_schema(path, "mode=ro")
    if reason and reason in _NO_ROOM_FOR_THE_JOURNAL:
        # Reading a WAL database makes its -shm file, which a full disk or a read-only directory
        # refuses: that is no sign of a damaged file. Read the file alone (no journal, no lock);
        # the trouble itself is said once something must be written (bot.storage.db.StorageUnavailable).
        return _read_schema(path, "mode=ro&immutable=1")
    return reason


_NO_ROOM_FOR_THE_JOURNAL = ("disk I/O error", "unable to open database file", "attempt to write a readonly database")


def _read_schema(path: Path, options: str) -> str:
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?{options}", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return ""
