"""Build the python-telegram-bot Application: one function that production and tests share."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.handlers import attendee, common, language, scanner
from bot.handlers import organiser as admin
from bot.services.context import AppContext
from bot.telegram import menus
from bot.telegram.rate_limit import SlidingWindowRateLimiter
from bot.telegram.request import IN_FLIGHT, RetryingRequest

# Admin commands: name -> handler. Listed once so that registration, the menu and
# the authorisation tests cannot drift apart.
ADMIN_HANDLERS = {
    "import": admin.import_command,
    "pins": admin.pins_command,
    "genpins": admin.genpins_command,
    "setpin": admin.setpin_command,
    "pinrotate": admin.pinrotate_command,
    "display": admin.display_command,
    "dashboard": admin.dashboard_command,
    "invites": admin.invites_command,
    "unlink": admin.unlink_command,
    "scanner": admin.scanner_command,
    "scanners": admin.scanners_command,
    "access": admin.access_command,
    "acl": admin.acl_command,
    "capacity": admin.capacity_command,
    "checkinwindow": admin.checkinwindow_command,
    "timezone": admin.timezone_command,
    "badges": admin.badges_command,
    "reissuebadge": admin.reissue_badge_command,
    "shortlink": admin.shortlink_command,
    "shortlinks": admin.shortlinks_command,
    "shortlinkqr": admin.shortlinkqr_command,
    "report": admin.report_command,
    "session": admin.session_command,
    "attendee": admin.attendee_command,
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
    # Groups -2 and -1 run before the handlers below and let them run too.
    on(TypeHandler(Update, language.speak_to_sender), group=-2)
    on(TypeHandler(Update, menus.retry_pending_menu), group=-1)
    on(CommandHandler("start", attendee.start, filters=private))
    on(CommandHandler("help", common.help_command, filters=private))
    on(CommandHandler("myattendance", attendee.my_attendance, filters=private))
    on(CommandHandler("badge", attendee.badge, filters=private))
    on(CommandHandler("scan", scanner.scan_command, filters=private))
    on(CommandHandler("language", language.language_command, filters=private))
    for name, handler in ADMIN_HANDLERS.items():
        on(CommandHandler(name, handler, filters=private))
    on(CallbackQueryHandler(admin.confirm_button, pattern=r"^confirm:"))
    on(CallbackQueryHandler(scanner.scan_button, pattern=r"^scan:"))
    on(CallbackQueryHandler(scanner.override_button, pattern=r"^ovr:"))
    on(CallbackQueryHandler(scanner.undo_button, pattern=r"^undo:"))
    on(CallbackQueryHandler(language.language_button, pattern=r"^lang:"))
    on(CallbackQueryHandler(common.stale_button))
    on(MessageHandler(private & (filters.PHOTO | filters.Document.IMAGE), scanner.image))
    on(MessageHandler(private & filters.Document.ALL, admin.import_document))
    on(MessageHandler(private & filters.TEXT & ~filters.COMMAND, attendee.text_message))
    on(MessageHandler(private & filters.COMMAND, attendee.unknown_command))
    on(MessageHandler(private, attendee.unsupported))
    application.add_error_handler(common.on_error)
