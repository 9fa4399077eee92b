"""The one serialised writer: group commit keeps each use case atomic on its own."""

import asyncio
import sqlite3

import pytest

from bot.storage.db import Database


class Refused(Exception):
    pass


def write(conn, key: str, fail: bool = False) -> str:
    conn.execute("INSERT INTO settings (key, value) VALUES (?, 'x')", (key,))
    if fail:
        raise Refused(key)
    return key


async def keys(db: Database) -> list[str]:
    return await db.read(lambda conn: [r[0] for r in conn.execute("SELECT key FROM settings ORDER BY key")])


async def test_a_failing_use_case_in_a_batch_rolls_back_alone(tmp_path):
    db = await Database(tmp_path / "t.db").open()
    try:
        results = await asyncio.gather(
            *(db.write(write, f"k{i:03d}", i % 7 == 3) for i in range(300)), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, Refused)]
        assert len(failed) == len([i for i in range(300) if i % 7 == 3])
        assert await keys(db) == [f"k{i:03d}" for i in range(300) if i % 7 != 3]
    finally:
        await db.close()


async def test_a_lone_failing_use_case_leaves_nothing(tmp_path):
    db = await Database(tmp_path / "t.db").open()
    try:
        with pytest.raises(Refused):
            await db.write(write, "alone", True)
        assert await db.write(write, "next") == "next"
        assert await keys(db) == ["next"]
    finally:
        await db.close()


async def test_the_log_is_append_only(tmp_path):
    import sqlite3

    db = await Database(tmp_path / "t.db").open()
    try:
        await db.write(
            lambda c: c.execute(
                "INSERT INTO attendance_log (at, direction, method, accepted, reason) "
                "VALUES ('2026-01-01T00:00:00.000000Z', 'IN', 'pin', 0, 'unknown_pin')"
            )
        )
        for statement in ("UPDATE attendance_log SET reason = 'ok'", "DELETE FROM attendance_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                await db.write(lambda c, sql=statement: c.execute(sql))
    finally:
        await db.close()


async def test_a_commit_that_fails_leaves_the_database_usable(tmp_path):
    """A COMMIT can fail (here a deferred foreign key; a full disk in real life): the work is
    refused, and the next use case must not find a transaction still open."""
    db = await Database(tmp_path / "t.db").open()
    try:

        def orphan_presence(conn):
            conn.execute("PRAGMA defer_foreign_keys = ON")
            conn.execute("INSERT INTO presence (attendee_id, session_id, inside, last_log_id) VALUES ('X', 'Y', 1, 9)")

        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            await db.write(orphan_presence)
        await db.write(lambda conn: conn.execute("INSERT INTO settings (key, value) VALUES ('after', '1')"))
        assert "after" in await keys(db)
        assert await db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM presence").fetchone()[0]) == 0
    finally:
        await db.close()


async def test_close_finishes_queued_work_and_refuses_new_work(tmp_path):
    db = await Database(tmp_path / "t.db").open()
    writes = [
        asyncio.ensure_future(db.write(lambda conn, i=i: conn.execute(f"INSERT INTO settings VALUES ('q{i}', '')")))
        for i in range(50)
    ]
    await asyncio.sleep(0)
    await db.close()
    assert all(w.done() and w.exception() is None for w in writes)
    with pytest.raises(RuntimeError, match="closed"):
        await db.write(lambda conn: None)
    reopened = await Database(tmp_path / "t.db").open()
    try:
        assert len([k for k in await keys(reopened) if k.startswith("q")]) == 50
    finally:
        await reopened.close()
