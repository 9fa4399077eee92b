"""Build the python-telegram-bot Application: one function that production and tests share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.handlers import announce, attendee, certificates, common, language, scanner
from bot.handlers import organiser as admin
from bot.i18n import N_
from bot.services.context import AppContext
from bot.telegram import menus
from bot.telegram.rate_limit import SlidingWindowRateLimiter
from bot.telegram.request import IN_FLIGHT, RetryingRequest
from bot.telegram.updates import on_storage_trouble


@dataclass(frozen=True)
class Command:
    """A command: the handler it runs, who it is for, and its line in that audience's menu."""

    name: str
    handler: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[object]]
    audience: menus.Audience
    description: str | None  # N_(): translated when a menu is published; None: in no menu


# Every command the bot answers, in the order its menu lists them. Registration (`add_handlers`),
# every menu in every language (`menus.publish_commands`) and the authorisation tests all read this
# one table, so a command cannot be answered without being in its audience's menu, or the reverse.
COMMANDS = (
    Command("start", attendee.start, menus.ATTENDEE, N_("Start, or link your registration")),
    Command("myattendance", attendee.my_attendance, menus.ATTENDEE, N_("Your check-ins and check-outs")),
    Command("badge", attendee.badge, menus.ATTENDEE, N_("Your badge QR code")),
    Command("certificate", certificates.certificate_command, menus.ATTENDEE, N_("Your certificate of attendance")),
    Command("language", language.language_command, menus.ATTENDEE, N_("The language I answer you in")),
    Command("mute", announce.mute_command, menus.ATTENDEE, N_("No announcements or reminders (/mute off: again)")),
    Command("help", common.help_command, menus.ATTENDEE, N_("What I can do")),
    Command("scan", scanner.scan_command, menus.SCANNER, N_("Choose the session you scan badges for")),
    # Sending a file imports it; the command only says how, so it takes no room in the menu.
    Command("import", admin.import_command, menus.ORGANISER, None),
    Command("pins", admin.pins_command, menus.ORGANISER, N_("List session PINs")),
    Command("genpins", admin.genpins_command, menus.ORGANISER, N_("Generate PINs: new or all")),
    Command("setpin", admin.setpin_command, menus.ORGANISER, N_("Set a session's PINs")),
    Command("pinrotate", admin.pinrotate_command, menus.ORGANISER, N_("Rotate a session's IN PIN (room display)")),
    Command("display", admin.display_command, menus.ORGANISER, N_("Link to a session's room display")),
    Command("dashboard", admin.dashboard_command, menus.ORGANISER, N_("Link to the live dashboard")),
    Command("invites", admin.invites_command, menus.ORGANISER, N_("CSV of personal invite links")),
    Command("unlink", admin.unlink_command, menus.ORGANISER, N_("Unlink an attendee's Telegram account")),
    Command("scanner", admin.scanner_command, menus.ORGANISER, N_("Make someone a door scanner")),
    Command("scanners", admin.scanners_command, menus.ORGANISER, N_("List door scanners")),
    Command("access", admin.access_command, menus.ORGANISER, N_("Access control on/off for a session")),
    Command("acl", admin.acl_command, menus.ORGANISER, N_("Who access control admits")),
    Command("reminders", admin.reminders_command, menus.ORGANISER, N_("Reminders before sessions start")),
    Command("credits", admin.credits_command, menus.ORGANISER, N_("How session credits are awarded")),
    Command("oneroom", admin.oneroom_command, menus.ORGANISER, N_("One room at a time: on or off")),
    Command("certificates", certificates.certificates_command, menus.ORGANISER, N_("Certificates: ZIP, release, send")),
    Command("capacity", admin.capacity_command, menus.ORGANISER, N_("Set a session's capacity")),
    Command("checkinwindow", admin.checkinwindow_command, menus.ORGANISER, N_("When check-ins open and close")),
    Command("timezone", admin.timezone_command, menus.ORGANISER, N_("The event's time zone")),
    Command("badges", admin.badges_command, menus.ORGANISER, N_("Badges to print (ZIP, or pdf)")),
    Command("reissuebadge", admin.reissue_badge_command, menus.ORGANISER, N_("Revoke and replace a badge")),
    Command(
        "shortlink", admin.shortlink_command, menus.ORGANISER, N_("Create, change or remove an onsite QR shortlink")
    ),
    Command("shortlinks", admin.shortlinks_command, menus.ORGANISER, N_("List shortlinks")),
    Command("shortlinkqr", admin.shortlinkqr_command, menus.ORGANISER, N_("ZIP of shortlink QR images")),
    Command("session", admin.session_command, menus.ORGANISER, N_("Live counts for a session")),
    Command("attendee", admin.attendee_command, menus.ORGANISER, N_("One attendee's sessions")),
    Command("announce", announce.announce_command, menus.ORGANISER, N_("Message a session's attendees, or everyone")),
    Command("report", admin.report_command, menus.ORGANISER, N_("Check-in, check-out or credits report (XLSX or CSV)")),
)
# The organisers' commands, name -> handler: every one checks ADMIN_IDS itself (tests/test_authorisation.py).
ADMIN_HANDLERS = {c.name: c.handler for c in COMMANDS if c.audience == menus.ORGANISER}


def build_application(
    ctx: AppContext, request: BaseRequest | None = None, get_updates_request: BaseRequest | None = None
) -> Application:
    application = application_for(ctx.settings, request, get_updates_request)
    attach_event(application, ctx)
    return application


def application_for(
    settings: Settings, request: BaseRequest | None = None, get_updates_request: BaseRequest | None = None
) -> Application:
    """The Application with its handlers, before it knows the event: `bot.__main__` asks Telegram
    who it is (getMe) before it creates or migrates the event database, then `attach_event`."""
    builder = ApplicationBuilder().token(settings.bot_token).updater(None)
    if settings.base_url:
        builder = builder.base_url(settings.base_url).base_file_url(settings.base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    else:
        builder = builder.request(RetryingRequest(connection_pool_size=IN_FLIGHT))
    if settings.rate_limit:
        # Flood limits (429 + retry_after) delay a reply; they never drop it.
        builder = builder.rate_limiter(SlidingWindowRateLimiter())
    application = builder.build()
    add_handlers(application)
    return application


def attach_event(application: Application, ctx: AppContext) -> None:
    """What every handler reads the event from; set before any update is handled."""
    application.bot_data["ctx"] = ctx


def add_handlers(application: Application) -> None:
    # Private chats only, and new messages only: editing an old "/genpins new"
    # or "/start SL001" must not run it again (edits are ignored).
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    on = application.add_handler
    # Groups -2 and -1 run before the handlers below and let them run too.
    on(TypeHandler(Update, language.speak_to_sender), group=-2)
    on(TypeHandler(Update, menus.retry_pending_menu), group=-1)
    for command in COMMANDS:
        on(CommandHandler(command.name, command.handler, filters=private))
    application.bot_data[menus.MENUS] = menus.Menus.of(
        (command.name, command.audience, command.description) for command in COMMANDS
    )
    on(CallbackQueryHandler(admin.confirm_button, pattern=r"^confirm:"))
    on(CallbackQueryHandler(announce.announce_button, pattern=r"^announce:"))
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
    # A database that cannot store first: its update waits to be tried again (bot.telegram.updates).
    application.add_error_handler(on_storage_trouble)
    application.add_error_handler(common.on_error)
