"""A consistent copy of the event database, safe while the bot runs."""

from __future__ import annotations

from bot.services.context import AppContext


async def backup(ctx: AppContext, path: str) -> int:
    """SQLite's online backup API: a consistent copy even while the bot writes."""
    return await ctx.db.backup_to(path)


async def backup_copy(ctx: AppContext) -> tuple[bytes, int]:
    """The same copy as the bytes of a database file, and its page count."""
    return await ctx.db.backup_bytes()
