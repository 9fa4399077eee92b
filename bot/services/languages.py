"""Which language each person is answered in (docs/product.md, "Languages").

In this order: the language they chose with /language (kept in the database);
else their Telegram app's (`from.language_code`) when the bot speaks it; else
the event's (`EVENT_LANGUAGE`). Attendees, door staff and organisers alike.
Choices are read on every update, so `AppContext.chosen_languages` keeps them
in memory: loaded at start, written through here.
"""

from __future__ import annotations

from bot import i18n
from bot.services.context import AppContext
from bot.storage import languages as stored


def language_for(ctx: AppContext, user_id: int | None, telegram_code: str | None) -> str:
    chosen = ctx.chosen_languages.get(user_id) if user_id is not None else None
    return chosen or i18n.supported(telegram_code) or ctx.event_language


def chosen(ctx: AppContext, user_id: int) -> str | None:
    return ctx.chosen_languages.get(user_id)


async def choose(ctx: AppContext, user_id: int, language: str | None) -> None:
    """Keep `language` (one of `i18n.LANGUAGES`) for this person; None goes back to their app's language."""
    if language is not None and language not in i18n.LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    now = ctx.clock()

    def write(conn) -> None:
        if language is None:
            stored.forget(conn, user_id)
        else:
            stored.choose(conn, user_id, language, now)

    await ctx.db.write(write)
    if language is None:
        ctx.chosen_languages.pop(user_id, None)
    else:
        ctx.chosen_languages[user_id] = language
