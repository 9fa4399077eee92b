"""Yes/no prompts for destructive admin actions, stored so they survive a
restart and cannot be replayed: a token is single-use, bound to the admin who
asked, and expires after 10 minutes."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.services.context import AppContext, writes
from bot.storage import confirmation_tokens

VALID_FOR = timedelta(minutes=10)


@writes
def ask(conn, ctx: AppContext, user_id: int, action: str) -> str:
    token = secrets.token_urlsafe(9)
    confirmation_tokens.create_confirmation(conn, token, user_id, action, ctx.clock())
    return token


@writes
def consume(conn, ctx: AppContext, token: str, user_id: int) -> str | None:
    """The confirmed action, or None if the token is unknown, someone else's, used or expired."""
    now = ctx.clock()
    action = confirmation_tokens.confirmation_action(conn, token)
    if action is None or not confirmation_tokens.use_confirmation(conn, token, user_id, action, now, now - VALID_FOR):
        return None
    return action
