"""Connection, pragmas, migrations and the one serialised writer.

One aiosqlite connection serves the whole process. Every transaction (reads
included) takes `Database.lock`, because transactions interleaved on one shared
connection corrupt each other. Writes start with `BEGIN IMMEDIATE` so that a
second process (the command line while the bot runs) waits for the write lock
instead of failing half-way.

Durability: WAL with `synchronous=FULL`. A check-in acknowledged to an attendee
must survive a power cut, not only a process crash; FULL costs one extra fsync
of the WAL per commit, which `make bench` measures.
"""
from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import AsyncIterator

import aiosqlite

MIGRATIONS_PACKAGE = "bot.storage.migrations"


def _migrations() -> list[tuple[int, str]]:
    files = [f for f in resources.files(MIGRATIONS_PACKAGE).iterdir() if f.name.endswith(".sql")]
    return sorted((int(f.name.split("_", 1)[0]), f.read_text("utf-8")) for f in files)


class Database:
    def __init__(self, path: str | Path, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self.lock = asyncio.Lock()
        self._conn: aiosqlite.Connection | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("Database.open() was not called")
        return self._conn

    async def open(self) -> "Database":
        self._conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute(f"PRAGMA synchronous={self.synchronous}")
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=30000")
        await self._migrate()
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _migrate(self) -> None:
        async with self.transaction() as tx:
            await tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in await tx.execute_fetchall("SELECT version FROM schema_migrations")}
            for version, sql in _migrations():
                if version in done:
                    continue
                # executescript would COMMIT our transaction; run statements one by one instead.
                for statement in _split_sql(sql):
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, datetime('now'))", (version,)
                )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One serialised write transaction: commit on success, roll back on any error."""
        async with self.lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def backup_to(self, path: str | Path) -> int:
        """Copy the database with SQLite's online backup API; returns the page count.
        The caller holds `lock`, so no transaction of ours is half-copied."""
        return await asyncio.to_thread(_backup, self.path, str(path))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A consistent read snapshot (deferred transaction), serialised with the writers."""
        async with self.lock:
            conn = self.conn
            await conn.execute("BEGIN")
            try:
                yield conn
            finally:
                await conn.execute("COMMIT")


def _backup(source_path: str, target_path: str) -> int:
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)
        return target.execute("PRAGMA page_count").fetchone()[0]
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


async def open_database(path: str | Path) -> Database:
    return await Database(path).open()

