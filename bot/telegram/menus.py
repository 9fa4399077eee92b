"""Command menus: what each role sees when they type "/" in the chat.

Everyone sees the attendee commands, scanners add /scan, admins see their
commands too, each in their own language (`publish_menu`). The menus are built
from the table the commands are registered from (`application.COMMANDS`), so a
menu lists exactly the commands its audience is answered. Hidden is not
protected: every admin handler checks ADMIN_IDS itself, and every scanner
action checks the scanner's assignment.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot import i18n
from bot.i18n import _
from bot.services import languages
from bot.services.context import AppContext

Audience = Literal["attendee", "scanner", "organiser"]
ATTENDEE: Audience = "attendee"
SCANNER: Audience = "scanner"
ORGANISER: Audience = "organiser"
Entries = list[tuple[str, str]]  # (command, description to translate)
MENUS = "menus"  # bot_data key: the Menus built from the command table by add_handlers


@dataclass(frozen=True)
class Menus:
    """Each audience's own commands, in table order. Everyone sees the attendee's; scanners add
    theirs; organisers see all three."""

    attendee: Entries
    scanner: Entries
    organiser: Entries

    @classmethod
    def of(cls, commands: Iterable[tuple[str, Audience, str | None]]) -> Menus:
        """From application.COMMANDS' (name, audience, description) rows: those with a description."""
        entries: dict[Audience, Entries] = {ATTENDEE: [], SCANNER: [], ORGANISER: []}
        for name, audience, description in commands:
            if description is not None:
                entries[audience].append((name, description))
        return cls(entries[ATTENDEE], entries[SCANNER], entries[ORGANISER])


# user id -> whether their menu is a scanner's, for menus that could not be published yet
# (Telegram answers "chat not found" until a person has written to the bot); tried again when they write.
PENDING = "menus_pending"
PUBLISHING = "menus_publishing"


def commands(entries: Entries, language: str) -> list[BotCommand]:
    with i18n.speaking(language):
        return [BotCommand(name, _(description)) for name, description in entries]


async def publish_commands(application: Application, ctx: AppContext, scanner_ids: list[int]) -> None:
    """Publish every role's menu at start.

    Each menu is published once for every language the bot speaks (Telegram shows
    the one matching the app's language) and once without a language, in the
    event's, for every other app language."""
    with contextlib.suppress(TelegramError):  # the menu is a convenience: never a reason not to start
        for code in (None, *i18n.LANGUAGES):
            language = code or ctx.event_language
            scope = BotCommandScopeDefault()
            await application.bot.set_my_commands(commands(_menus(application).attendee, language), scope, code)
    for user_id in dict.fromkeys([*scanner_ids, *ctx.settings.admin_ids]):
        await publish_menu(application, user_id, scanner=True)


async def publish_menu(application: Application, user_id: int, scanner: bool) -> None:
    """One person's menu: their role's commands, in the language they chose with
    /language, else in every language as above. Also when a scanner is assigned."""
    ctx: AppContext = application.bot_data["ctx"]
    pending = application.bot_data.setdefault(PENDING, {})
    entries = _menu_for(_menus(application), ctx, user_id, scanner)
    chosen = languages.chosen(ctx, user_id)
    try:
        for code in (None, *i18n.LANGUAGES):
            language = chosen or code or ctx.event_language
            await application.bot.set_my_commands(commands(entries, language), BotCommandScopeChat(user_id), code)
    except TelegramError:
        pending[user_id] = scanner
    else:
        pending.pop(user_id, None)


async def publish_scanner_menu(application: Application, user_id: int) -> None:
    """Show /scan in a newly assigned scanner's menu (admins already have it)."""
    await publish_menu(application, user_id, scanner=True)


async def retry_pending_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler: the first time someone whose menu is pending writes, publish it,
    in the background: their check-in or scan must not wait behind a menu."""
    user = update.effective_user
    pending = context.bot_data.get(PENDING)
    if pending and user is not None and user.id in pending:
        # Taken off the list now so that a burst of messages starts one publish; put back if it fails.
        task = asyncio.create_task(publish_menu(context.application, user.id, pending.pop(user.id)))
        tasks = context.bot_data.setdefault(PUBLISHING, set())  # a reference keeps the task alive
        tasks.add(task)
        task.add_done_callback(tasks.discard)


def _menus(application: Application) -> Menus:
    return application.bot_data[MENUS]


def _menu_for(menus: Menus, ctx: AppContext, user_id: int, scanner: bool) -> Entries:
    if ctx.is_admin(user_id):
        return menus.attendee + menus.scanner + menus.organiser
    return menus.attendee + menus.scanner if scanner else menus.attendee
