"""Door staff: who may scan for which session."""
from __future__ import annotations

from bot.services.context import AppContext
from bot.storage import scanners as scanner_repo


async def is_scanner(ctx: AppContext, user_id: int) -> bool:
    async with ctx.db.read() as conn:
        return await scanner_repo.get_scanner(conn, user_id) is not None


async def scanner_ids(ctx: AppContext) -> list[int]:
    async with ctx.db.read() as conn:
        return await scanner_repo.scanner_ids(conn)
