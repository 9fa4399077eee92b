"""The one serialised writer: group commit keeps each use case atomic on its own."""

import asyncio

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
