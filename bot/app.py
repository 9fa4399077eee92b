"""Build the python-telegram-bot Application: one function that production and tests share."""

from __future__ import annotations

import contextlib

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, MessageHandler, filters
from telegram.request import BaseRequest

from admin_commands import bot_handlers as admin
from admin_commands import report_handlers
from bot.handlers import attendee, common, scanner
from bot.rate_limit import SlidingWindowRateLimiter
from bot.services.context import AppContext
from bot.telegram_request import IN_FLIGHT, RetryingRequest

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
    BotCommand("badges", "ZIP of badge images"),
    BotCommand("reissuebadge", "Revoke and replace a badge"),
    BotCommand("shortlink", "Create, change or remove an onsite QR shortlink"),
    BotCommand("shortlinks", "List shortlinks"),
    BotCommand("shortlinkqr", "ZIP of shortlink QR images"),
    BotCommand("session", "Live counts for a session"),
    BotCommand("attendee", "One attendee's sessions"),
    BotCommand("report", "Check-in or check-out report (XLSX or CSV)"),
]

# Admin commands: name -> handler. Listed once so that registration, the menu and
# the authorisation tests cannot drift apart.
ADMIN_HANDLERS = {
    "import": admin.import_command,
    "pins": admin.pins_command,
    "genpins": admin.genpins_command,
    "setpin": admin.setpin_command,
    "invites": admin.invites_command,
    "unlink": admin.unlink_command,
    "scanner": admin.scanner_command,
    "scanners": admin.scanners_command,
    "access": admin.access_command,
    "acl": admin.acl_command,
    "capacity": admin.capacity_command,
    "badges": admin.badges_command,
    "reissuebadge": admin.reissue_badge_command,
    "shortlink": admin.shortlink_command,
    "shortlinks": admin.shortlinks_command,
    "shortlinkqr": admin.shortlinkqr_command,
    "report": report_handlers.report_command,
    "session": report_handlers.session_command,
    "attendee": report_handlers.attendee_command,
}


def build_application(
    ctx: AppContext, request: BaseRequest | None = None, get_updates_request: BaseRequest | None = None
) -> Application:
    builder = ApplicationBuilder().token(ctx.settings.bot_token).updater(None)
    if ctx.settings.base_url:
        builder = builder.base_url(ctx.settings.base_url).base_file_url(ctx.settings.base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    else:
        builder = builder.request(RetryingRequest(connection_pool_size=IN_FLIGHT))
    if ctx.settings.rate_limit:
        # Flood limits (429 + retry_after) delay a reply; they never drop it.
        builder = builder.rate_limiter(SlidingWindowRateLimiter())
    application = builder.build()
    application.bot_data["ctx"] = ctx
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    # Private chats only, and new messages only: editing an old "/genpins new"
    # or "/start SL001" must not run it again (edits are ignored).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    on = application.add_handler
    on(CommandHandler("start", attendee.start, filters=private))
    on(CommandHandler("help", common.help_command, filters=private))
    on(CommandHandler("myattendance", attendee.my_attendance, filters=private))
    on(CommandHandler("badge", attendee.badge, filters=private))
    on(CommandHandler("scan", scanner.scan_command, filters=private))
    for name, handler in ADMIN_HANDLERS.items():
        on(CommandHandler(name, handler, filters=private))
    on(CallbackQueryHandler(admin.confirm_button, pattern=r"^confirm:"))
    on(CallbackQueryHandler(scanner.scan_button, pattern=r"^scan:"))
    on(CallbackQueryHandler(scanner.override_button, pattern=r"^ovr:"))
    on(CallbackQueryHandler(scanner.undo_button, pattern=r"^undo:"))
    on(CallbackQueryHandler(common.stale_button))
    on(MessageHandler(private & (filters.PHOTO | filters.Document.IMAGE), scanner.image))
    on(MessageHandler(private & filters.Document.ALL, admin.import_document))
    on(MessageHandler(private & filters.TEXT & ~filters.COMMAND, attendee.text_message))
    on(MessageHandler(private & filters.COMMAND, attendee.unknown_command))
    on(MessageHandler(private, attendee.unsupported))
    application.add_error_handler(common.on_error)


async def publish_commands(application: Application, ctx: AppContext, scanner_ids: list[int]) -> None:
    """Command menus: everyone sees the attendee commands, scanners add /scan,
    admins see their commands too. Hidden is not protected: every admin
    handler checks ADMIN_IDS itself."""
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
