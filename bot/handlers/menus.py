"""Command menus: what each role sees when they type "/" in the chat.

Everyone sees the attendee commands, scanners add /scan, admins see their
commands too. Hidden is not protected: every admin handler checks ADMIN_IDS
itself, and every scanner action checks the scanner's assignment.
"""

from __future__ import annotations

import asyncio
import contextlib

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.services.context import AppContext

ATTENDEE_COMMANDS = [
    BotCommand("start", "Start, or link your registration"),
    BotCommand("myattendance", "Your check-ins and check-outs"),
    BotCommand("badge", "Your badge QR code"),
    BotCommand("help", "What I can do"),
]
SCANNER_COMMANDS = [BotCommand("scan", "Choose the session you scan badges for")]
ADMIN_COMMANDS = [
    BotCommand("pins", "List session PINs"),
    BotCommand("genpins", "Generate PINs: new or all"),
    BotCommand("setpin", "Set a session's PINs"),
    BotCommand("pinrotate", "Rotate a session's IN PIN (room display)"),
    BotCommand("display", "Link to a session's room display"),
    BotCommand("dashboard", "Link to the live dashboard"),
    BotCommand("invites", "CSV of personal invite links"),
    BotCommand("unlink", "Unlink an attendee's Telegram account"),
    BotCommand("scanner", "Make someone a door scanner"),
    BotCommand("scanners", "List door scanners"),
    BotCommand("access", "Access control on/off for a session"),
    BotCommand("acl", "Who access control admits"),
    BotCommand("capacity", "Set a session's capacity"),
    BotCommand("checkinwindow", "When check-ins open and close"),
    BotCommand("timezone", "The event's time zone"),
    BotCommand("badges", "Badges to print (ZIP, or pdf)"),
    BotCommand("reissuebadge", "Revoke and replace a badge"),
    BotCommand("shortlink", "Create, change or remove an onsite QR shortlink"),
    BotCommand("shortlinks", "List shortlinks"),
    BotCommand("shortlinkqr", "ZIP of shortlink QR images"),
    BotCommand("session", "Live counts for a session"),
    BotCommand("attendee", "One attendee's sessions"),
    BotCommand("report", "Check-in or check-out report (XLSX or CSV)"),
]


# user id -> the menu that could not be published for them yet (Telegram answers "chat
# not found" until a person has written to the bot); tried again when they write.
PENDING = "menus_pending"
PUBLISHING = "menus_publishing"


async def publish_commands(application: Application, ctx: AppContext, scanner_ids: list[int]) -> None:
    """Publish every role's menu at start."""
    with contextlib.suppress(TelegramError):  # the menu is a convenience: never a reason not to start
        await application.bot.set_my_commands(ATTENDEE_COMMANDS, scope=BotCommandScopeDefault())
    for user_id in [*scanner_ids, *ctx.settings.admin_ids]:
        await _publish(application, user_id, _menu_for(ctx, user_id))


async def publish_scanner_menu(application: Application, user_id: int) -> None:
    """Show /scan in a newly assigned scanner's menu (admins already have it)."""
    ctx: AppContext = application.bot_data["ctx"]
    await _publish(application, user_id, _menu_for(ctx, user_id))


async def retry_pending_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler: the first time someone whose menu is pending writes, publish it,
    in the background: their check-in or scan must not wait behind a menu."""
    user = update.effective_user
    pending = context.bot_data.get(PENDING)
    if pending and user is not None and user.id in pending:
        # Taken off the list now so that a burst of messages starts one publish; put back if it fails.
        task = asyncio.create_task(_publish(context.application, user.id, pending.pop(user.id)))
        tasks = context.bot_data.setdefault(PUBLISHING, set())  # a reference keeps the task alive
        tasks.add(task)
        task.add_done_callback(tasks.discard)


def _menu_for(ctx: AppContext, user_id: int) -> list[BotCommand]:
    if ctx.is_admin(user_id):
        return ATTENDEE_COMMANDS + SCANNER_COMMANDS + ADMIN_COMMANDS
    return ATTENDEE_COMMANDS + SCANNER_COMMANDS


async def _publish(application: Application, user_id: int, commands: list[BotCommand]) -> None:
    pending = application.bot_data.setdefault(PENDING, {})
    try:
        await application.bot.set_my_commands(commands, scope=BotCommandScopeChat(user_id))
    except TelegramError:
        pending[user_id] = commands
    else:
        pending.pop(user_id, None)
