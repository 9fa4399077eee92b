"""Command menus: what each role sees when they type "/" in the chat.

Everyone sees the attendee commands, scanners add /scan, admins see their
commands too, each in their own language (`publish_menu`). Hidden is not
protected: every admin handler checks ADMIN_IDS itself, and every scanner
action checks the scanner's assignment.
"""

from __future__ import annotations

import asyncio
import contextlib

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot import i18n
from bot.i18n import N_, _
from bot.services import languages
from bot.services.context import AppContext

ATTENDEE_COMMANDS = [
    ("start", N_("Start, or link your registration")),
    ("myattendance", N_("Your check-ins and check-outs")),
    ("badge", N_("Your badge QR code")),
    ("language", N_("The language I answer you in")),
    ("help", N_("What I can do")),
]
SCANNER_COMMANDS = [("scan", N_("Choose the session you scan badges for"))]
ADMIN_COMMANDS = [
    ("pins", N_("List session PINs")),
    ("genpins", N_("Generate PINs: new or all")),
    ("setpin", N_("Set a session's PINs")),
    ("pinrotate", N_("Rotate a session's IN PIN (room display)")),
    ("display", N_("Link to a session's room display")),
    ("dashboard", N_("Link to the live dashboard")),
    ("invites", N_("CSV of personal invite links")),
    ("unlink", N_("Unlink an attendee's Telegram account")),
    ("scanner", N_("Make someone a door scanner")),
    ("scanners", N_("List door scanners")),
    ("access", N_("Access control on/off for a session")),
    ("acl", N_("Who access control admits")),
    ("capacity", N_("Set a session's capacity")),
    ("checkinwindow", N_("When check-ins open and close")),
    ("timezone", N_("The event's time zone")),
    ("badges", N_("Badges to print (ZIP, or pdf)")),
    ("reissuebadge", N_("Revoke and replace a badge")),
    ("shortlink", N_("Create, change or remove an onsite QR shortlink")),
    ("shortlinks", N_("List shortlinks")),
    ("shortlinkqr", N_("ZIP of shortlink QR images")),
    ("session", N_("Live counts for a session")),
    ("attendee", N_("One attendee's sessions")),
    ("report", N_("Check-in or check-out report (XLSX or CSV)")),
]


# user id -> whether their menu is a scanner's, for menus that could not be published yet
# (Telegram answers "chat not found" until a person has written to the bot); tried again when they write.
PENDING = "menus_pending"
PUBLISHING = "menus_publishing"
Entries = list[tuple[str, str]]


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
            await application.bot.set_my_commands(commands(ATTENDEE_COMMANDS, language), scope, code)
    for user_id in dict.fromkeys([*scanner_ids, *ctx.settings.admin_ids]):
        await publish_menu(application, user_id, scanner=True)


async def publish_menu(application: Application, user_id: int, scanner: bool) -> None:
    """One person's menu: their role's commands, in the language they chose with
    /language, else in every language as above. Also when a scanner is assigned."""
    ctx: AppContext = application.bot_data["ctx"]
    pending = application.bot_data.setdefault(PENDING, {})
    entries = _menu_for(ctx, user_id, scanner)
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


def _menu_for(ctx: AppContext, user_id: int, scanner: bool) -> Entries:
    if ctx.is_admin(user_id):
        return ATTENDEE_COMMANDS + SCANNER_COMMANDS + ADMIN_COMMANDS
    return ATTENDEE_COMMANDS + SCANNER_COMMANDS if scanner else ATTENDEE_COMMANDS
