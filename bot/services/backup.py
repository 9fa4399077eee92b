"""A consistent copy of the event database, safe while the bot runs, checked before it is trusted."""

from __future__ import annotations

from pathlib import Path

from bot.services.context import AppContext
from bot.storage.db import integrity_problems


async def backup(ctx: AppContext, path: str) -> int:
    """SQLite's online backup API: a consistent copy even while the bot writes."""
    return await ctx.db.backup_to(path)


async def backup_copy(ctx: AppContext) -> tuple[bytes, int]:
    """The same copy as the bytes of a database file, and its page count."""
    return await ctx.db.backup_bytes()


def check_copy(path: str | Path) -> list[str]:
    """What SQLite's `PRAGMA integrity_check` finds wrong with the copy written at `path` (read
    back from the disk, as a restore would read it); [] when it is sound."""
    return integrity_problems(path)
