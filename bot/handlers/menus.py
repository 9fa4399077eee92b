"""Command menus: what each role sees when they type "/" in the chat.

Everyone sees the attendee commands, scanners add /scan, admins see their
commands too. Hidden is not protected: every admin handler checks ADMIN_IDS
itself, and every scanner action checks the scanner's assignment.
"""

from __future__ import annotations

import contextlib

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

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


async def publish_commands(application: Application, ctx: AppContext, scanner_ids: list[int]) -> None:
    """Publish every role's menu at start."""
    bot = application.bot
    try:
        await bot.set_my_commands(ATTENDEE_COMMANDS, scope=BotCommandScopeDefault())
        for user_id in scanner_ids:
            if not ctx.is_admin(user_id):
                await bot.set_my_commands(ATTENDEE_COMMANDS + SCANNER_COMMANDS, scope=BotCommandScopeChat(user_id))
        for user_id in ctx.settings.admin_ids:
            await bot.set_my_commands(
                ATTENDEE_COMMANDS + SCANNER_COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(user_id)
            )
    except TelegramError:
        # An admin who never opened the chat makes Telegram answer "chat not found";
        # the menu is a convenience, so carry on.
        pass


async def publish_scanner_menu(application: Application, user_id: int) -> None:
    """Show /scan in a newly assigned scanner's menu (admins already have it)."""
    ctx: AppContext = application.bot_data["ctx"]
    if ctx.is_admin(user_id):
        return
    with contextlib.suppress(TelegramError):
        await application.bot.set_my_commands(ATTENDEE_COMMANDS + SCANNER_COMMANDS, scope=BotCommandScopeChat(user_id))
