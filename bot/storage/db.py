"""Connection, pragmas, migrations and the one serialised writer.

One SQLite connection serves the whole process, owned by one thread of ours
(`_DatabaseThread`). A unit of work is a plain function of a
`sqlite3.Connection`; `Database.write()` and `Database.read()` run it
atomically in that thread, so the event loop waits once per use case instead
of once per statement. (Measured: a thread round trip costs ~100 µs here, and
a check-in is ~15 statements.) The thread is ours rather than aiosqlite's
because aiosqlite offers no public way to run a function in its thread, and
calling its private `_execute` would break on any release.

Group commit: work that arrives while the database is busy runs together in
one transaction, each inside its own SAVEPOINT, so each still succeeds or
rolls back alone, but the batch shares one COMMIT (one fsync). Nobody is
answered before the COMMIT that holds their check-in. Batches run one at a
time, so transactions never interleave on the shared connection (measured:
without serialisation, 4,980 of 5,000 concurrent check-ins failed). Writes
start with `BEGIN IMMEDIATE` so that a second process (the command line while
the bot runs) waits for the write lock instead of failing half-way.

Read-only work runs with `PRAGMA query_only` on, so a "read" that tries to
write fails instead of quietly writing.

Durability: WAL with `synchronous=FULL`. A check-in acknowledged to an attendee
must survive a power cut, not only a process crash; FULL costs one extra fsync
of the WAL per commit, which `make bench` measures against NORMAL.

A database that cannot store anything right now (the disk is full, the file or
its directory became read-only, the disk answers with I/O errors) raises
`StorageUnavailable` for every job of the batch: SQLite may already have rolled
the whole transaction back, so no job of it is kept. Nothing else changes: the
connection stays open, and the next batch is tried as usual, so the bot
recovers by itself once space returns (`bot.telegram.updates` decides what to
tell Telegram and the attendee meanwhile).
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TypeVar

MIGRATIONS_PACKAGE = "bot.storage.migrations"
MAX_BATCH = 200
T = TypeVar("T")
# SQLite's primary result codes for "cannot store now, may work later"; sqlite3 names them
# with an extended suffix (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED).
STORAGE_TROUBLE = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN")
# (body, args, read_only, the submitter's context variables): a body runs with its caller's
# context (e.g. the language of the reply being written, bot.i18n), although in another thread.
Work = tuple[Callable, tuple, bool, contextvars.Context]


class StorageUnavailable(sqlite3.OperationalError):
    """The database cannot store anything right now: `kind` is "full", "read_only" or "io"
    (a failing disk, or a file made immutable), `reason` SQLite's own words."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def storage_trouble(exc: BaseException, path: str | Path | None = None) -> StorageUnavailable | None:
    """`exc` as a `StorageUnavailable` when it is one of SQLite's "cannot store now" errors, else None.
    With the database's `path`, an I/O error on a disk with no space left is called "full" (SQLite
    says "disk I/O error" when it cannot even make its -shm file); so is a `StorageUnavailable` of
    kind "io" raised in the database thread, which does not know the path."""
    if isinstance(exc, StorageUnavailable):
        trouble = exc
    else:
        name = getattr(exc, "sqlite_errorname", None) or ""
        if not isinstance(exc, sqlite3.Error) or not name.startswith(STORAGE_TROUBLE):
            return None
        kind = "full" if name.startswith("SQLITE_FULL") else "read_only" if name.startswith("SQLITE_READONLY") else "io"
        trouble = StorageUnavailable(kind, str(exc))
    if trouble.kind == "io" and path is not None and _no_space_left(path):
        trouble.kind = "full"
    return trouble


def _no_space_left(path: str | Path) -> bool:
    try:
        return os.statvfs(Path(path).resolve().parent).f_bavail == 0
    except OSError:
        return False


def _migrations() -> list[tuple[int, str]]:
    files = [f for f in resources.files(MIGRATIONS_PACKAGE).iterdir() if f.name.endswith(".sql")]
    return sorted((int(f.name.split("_", 1)[0]), f.read_text("utf-8")) for f in files)


class Database:
    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self.lock = asyncio.Lock()
        self._thread: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._queue: list[tuple[Callable, tuple, bool, contextvars.Context, asyncio.Future]] = []
        self._worker: asyncio.Task | None = None
        self._closing = False

    async def open(self) -> Database:
        self._closing = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database")
        try:
            self._conn = await self._in_thread(_connect, self.path, self.synchronous)
            await self.write(_migrate)
        except BaseException as exc:  # e.g. StorageUnavailable: a read-only file cannot take a write lock
            await self.close()
            trouble = storage_trouble(exc, self.path)
            if trouble is not None and trouble is not exc:
                raise trouble from exc
            raise
        return self

    async def close(self) -> None:
        """Finish the work already queued, refuse new work, then close."""
        self._closing = True
        while self._worker is not None and not self._worker.done():
            await asyncio.wait({self._worker})
        if self._conn is not None:
            await self._in_thread(self._conn.close)
            self._conn = None
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    async def _in_thread(self, fn: Callable[..., T], *args) -> T:
        if self._thread is None:
            raise RuntimeError("Database.open() was not called")
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def write(self, body: Callable[..., T], *args) -> T:
        """Run `body(connection, *args)` atomically in the database thread and
        return its result once committed; if it raises, its changes are rolled
        back and the exception is raised here."""
        return await self._submit(body, args, False)

    async def read(self, body: Callable[..., T], *args) -> T:
        """Like `write`, for work that only reads: any write it tries fails."""
        return await self._submit(body, args, True)

    async def _submit(self, body: Callable[..., T], args: tuple, read_only: bool) -> T:
        if self._closing or self._conn is None:
            raise RuntimeError("the database is closed")
        done = asyncio.get_running_loop().create_future()
        self._queue.append((body, args, read_only, contextvars.copy_context(), done))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run_batches())
        return await done

    async def _run_batches(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                async with self.lock:
                    outcomes = await self._in_thread(_run_batch, self._conn, [work[:4] for work in batch])
            except Exception as exc:  # the COMMIT itself failed: nobody's work is kept
                outcomes = [(False, exc)] * len(batch)
            for (*_, done), (ok, value) in zip(batch, outcomes, strict=True):
                if done.cancelled():
                    continue
                if ok:
                    done.set_result(value)
                else:
                    done.set_exception(storage_trouble(value, self.path) or value)

    async def backup_to(self, path: str | Path) -> int:
        """Copy the database with SQLite's online backup API; returns the page count.
        Holding the lock means no transaction of ours is half-copied."""
        async with self.lock:
            return await asyncio.to_thread(_backup, self.path, str(path))

    async def backup_bytes(self) -> tuple[bytes, int]:
        """The same copy as `backup_to`, as the bytes of a database file, and its page count:
        the caller writes the file like any other it writes."""
        async with self.lock:
            return await asyncio.to_thread(_backup_bytes, self.path)


def _connect(path: str, synchronous: str) -> sqlite3.Connection:
    # check_same_thread=False: the connection is created and used only in the
    # database thread, but Python's check would also refuse its close at exit.
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _run_job(conn: sqlite3.Connection, body: Callable, args: tuple, read_only: bool, context: contextvars.Context):
    if not read_only:
        return context.run(body, conn, *args)
    conn.execute("PRAGMA query_only = ON")
    try:
        return context.run(body, conn, *args)
    finally:
        conn.execute("PRAGMA query_only = OFF")


def _run_batch(conn: sqlite3.Connection, jobs: list[Work]) -> list[tuple[bool, object]]:
    """One transaction, one SAVEPOINT per job; returns (succeeded, result or exception) per job."""
    outcomes: list[tuple[bool, object]] = []
    if len(jobs) == 1:  # alone in its transaction: the transaction itself is the savepoint
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = _run_job(conn, *jobs[0])
        except Exception as exc:
            if conn.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
                conn.execute("ROLLBACK")
            return [(False, storage_trouble(exc) or exc)]
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            # A COMMIT can fail (a deferred constraint, a full disk): the transaction must
            # not stay open, or every later BEGIN would fail until a restart.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return [(True, result)]
    conn.execute("BEGIN IMMEDIATE")
    try:
        for job in jobs:
            conn.execute("SAVEPOINT job")
            try:
                result = _run_job(conn, *job)
            except Exception as exc:
                trouble = storage_trouble(exc)
                if trouble is not None:  # SQLite may have rolled everything back: keep no job of the batch
                    raise trouble from exc
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((False, exc))
            else:
                conn.execute("RELEASE job")
                outcomes.append((True, result))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _migrate(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, sql in _migrations():
        if version in done:
            continue
        # executescript would COMMIT our transaction; run statements one by one instead.
        for statement in _split_sql(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, datetime('now'))", (version,))


def _backup(source_path: str, target_path: str) -> int:
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
        return target.execute("PRAGMA page_count").fetchone()[0]
    finally:
        target.close()
        source.close()


def _backup_bytes(source_path: str) -> tuple[bytes, int]:
    source, target = sqlite3.connect(source_path), sqlite3.connect(":memory:")
    try:
        source.backup(target)
        return target.serialize(), target.execute("PRAGMA page_count").fetchone()[0]
    finally:
        target.close()
        source.close()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; triggers (BEGIN ... END;) stay whole."""
    statements, current = [], []
    for line in script.splitlines():
        if line.strip().startswith("--") and not current:
            continue
        current.append(line)
        chunk = "\n".join(current)
        if sqlite3.complete_statement(chunk):
            if chunk.strip():
                statements.append(chunk.strip())
            current = []
    if "\n".join(current).strip():
        raise ValueError("incomplete SQL statement at end of migration")
    return statements


def integrity_problems(path: str | Path) -> list[str]:
    """`PRAGMA integrity_check` on the database file at `path`, opened read-only: [] when it says "ok",
    else its lines (or why the file cannot be read as a database at all). Opened read-only and
    immutable: nothing is written, not even a -wal or -shm file beside it."""
    try:
        # immutable: read as it is on the disk, no lock, no -wal or -shm file made beside it
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        lines = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if lines == ["ok"] else lines
