"""Organisers in the chat: admin-only commands. Each parses, calls one service function, renders.

Every handler is wrapped by `admin_only`, which checks `ADMIN_IDS` on each
call (not only in the command menu) and logs refusals.
"""

from __future__ import annotations

import functools
import io
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot import chat_texts, i18n
from bot.handlers.common import app_ctx
from bot.i18n import _
from bot.services import (
    access,
    attendance_time,
    badges,
    confirmations,
    credits,
    dashboard,
    displays,
    event,
    imports,
    people,
    pins,
    reminders,
    reports,
    scanners,
    shortlinks,
)
from bot.services.context import BotUsernameUnknown
from bot.services.errors import OrganiserError
from bot.telegram.menus import publish_scanner_menu

log = logging.getLogger(__name__)
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def admin_only(handler):
    @functools.wraps(handler)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        ctx = app_ctx(context)
        user = update.effective_user
        if not ctx.is_admin(user.id):
            what = update.effective_message.text if update.effective_message else "a button"
            log.warning("refused admin action %r from user %s", (what or "a file")[:40], user.id)
            if update.callback_query:
                await update.callback_query.answer(_(chat_texts.ADMIN_ONLY), show_alert=True)
            else:
                await update.effective_message.reply_text(_(chat_texts.ADMIN_ONLY))
            return
        try:
            await handler(update, context)
        except OrganiserError as refusal:
            await update.effective_message.reply_text(chat_texts.problem_text(refusal))
        except BotUsernameUnknown:
            await update.effective_message.reply_text(_(chat_texts.BOT_USERNAME_UNKNOWN))

    return wrapper


async def send_file(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: bytes, filename: str, caption: str | None = None
) -> None:
    await update.effective_message.reply_document(io.BytesIO(data), filename=filename, caption=caption)


@admin_only
async def import_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    document = update.effective_message.document
    filename = document.file_name or "upload"
    if document.file_size and document.file_size > MAX_IMPORT_BYTES:
        await update.effective_message.reply_text(chat_texts.import_too_large(filename))
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    report = await imports.import_file(app_ctx(context), data, filename)
    await update.effective_message.reply_text(chat_texts.import_report(report))


@admin_only
async def import_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(_(chat_texts.IMPORT_HINT))


@admin_only
async def pins_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lines = await pins.list_pins(app_ctx(context))
    await update.effective_message.reply_text(chat_texts.pins_table(lines))


@admin_only
async def genpins_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    which = context.args[0].lower() if context.args else ""
    if which == "new":
        count = await pins.generate_pins(ctx, "new")
        await update.effective_message.reply_text(chat_texts.genpins_done(count))
    elif which == "all":
        token = await confirmations.ask(ctx, update.effective_user.id, "genpins_all")
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_(chat_texts.YES_REGENERATE_ALL), callback_data=f"confirm:{token}:yes"),
                    InlineKeyboardButton(_(chat_texts.CANCEL), callback_data=f"confirm:{token}:no"),
                ]
            ]
        )
        await update.effective_message.reply_text(_(chat_texts.GENPINS_CONFIRM), reply_markup=keyboard)
    else:
        await update.effective_message.reply_text(_(chat_texts.GENPINS_USAGE))


@admin_only
async def confirm_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer to a confirmation prompt; the token is single-use and bound to the admin who asked."""
    ctx = app_ctx(context)
    query = update.callback_query
    _prefix, token, answer = ([*query.data.split(":"), "", ""])[:3]
    action = await confirmations.consume(ctx, token, update.effective_user.id)
    await query.answer()
    if action is None:
        await query.edit_message_text(_(chat_texts.BUTTON_EXPIRED))
        return
    if answer != "yes":
        await query.edit_message_text(_(chat_texts.GENPINS_CANCELLED))
        return
    if action == "genpins_all":
        count = await pins.generate_pins(ctx, "all")
        await query.edit_message_text(chat_texts.genpins_done(count))


@admin_only
async def setpin_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) not in (2, 3):
        await update.effective_message.reply_text(_(chat_texts.SETPIN_USAGE))
        return
    line = await pins.set_pin(app_ctx(context), args[0], args[1], args[2] if len(args) == 3 else None)
    await update.effective_message.reply_text(chat_texts.setpin_done(line))


@admin_only
async def pinrotate_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) != 2:
        await update.effective_message.reply_text(_(chat_texts.CHAT.rotation_usage))
        return
    line = await pins.set_pin_rotation(app_ctx(context), args[0], args[1])
    await update.effective_message.reply_text(chat_texts.rotation_set(line))


@admin_only
async def display_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    ctx = app_ctx(context)
    if len(args) not in (1, 2) or (len(args) == 2 and args[1].lower() != "revoke"):
        await update.effective_message.reply_text(_(chat_texts.CHAT.display_usage))
        return
    link = await displays.display_link(ctx, args[0], revoke=len(args) == 2)
    await update.effective_message.reply_text(chat_texts.display_link_text(link, ctx.timezone, revoked=len(args) == 2))


@admin_only
async def invites_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    data = await people.invites_csv(app_ctx(context))
    await send_file(update, context, data, "invite-links.csv", _(chat_texts.INVITES_CAPTION))


@admin_only
async def unlink_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if len(context.args or []) != 1:
        await update.effective_message.reply_text(_(chat_texts.UNLINK_USAGE))
        return
    attendee_id = await people.unlink(app_ctx(context), context.args[0])
    await update.effective_message.reply_text(chat_texts.unlinked(attendee_id))


@admin_only
async def scanner_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) < 2:
        await update.effective_message.reply_text(_(chat_texts.SCANNER_USAGE))
        return
    ctx = app_ctx(context)
    line = await scanners.assign_scanner(ctx, args[0], args[1:])
    if line is None:
        await update.effective_message.reply_text(chat_texts.scanner_removed(args[0]))
        return
    await update.effective_message.reply_text(chat_texts.scanner_assigned(line))
    await publish_scanner_menu(context.application, line.user_id)


@admin_only
async def scanners_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(chat_texts.scanners_list(await scanners.list_scanners(app_ctx(context))))


@admin_only
async def access_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) != 2:
        await update.effective_message.reply_text(_(chat_texts.ACCESS_USAGE))
        return
    session = await access.set_access(app_ctx(context), args[0], args[1])
    await update.effective_message.reply_text(chat_texts.access_set(session))


@admin_only
async def acl_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    if len(context.args or []) != 1:
        mode = await access.get_acl_mode(ctx)
        await update.effective_message.reply_text(chat_texts.acl_now(mode))
        return
    mode = await access.set_acl_mode(ctx, context.args[0])
    await update.effective_message.reply_text(chat_texts.acl_set(mode))


@admin_only
async def credits_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/credits` shows the event's credit rule; `/credits threshold 80` or `/credits proportional` sets it."""
    ctx = app_ctx(context)
    if not context.args:
        rule = await credits.get_rule(ctx)
        await update.effective_message.reply_text(chat_texts.credits_setting(rule, usage=True))
        return
    rule = await credits.set_rule(ctx, " ".join(context.args))
    await update.effective_message.reply_text(chat_texts.credits_setting(rule))


@admin_only
async def reminders_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    if len(context.args or []) != 1:
        setting = await reminders.get_setting(ctx)
        await update.effective_message.reply_text(chat_texts.reminders_setting(setting, usage=True))
        return
    setting = await reminders.set_minutes(ctx, context.args[0])
    await update.effective_message.reply_text(chat_texts.reminders_setting(setting))


@admin_only
async def oneroom_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    args = [a.lower() for a in context.args or []]
    if args not in (["on"], ["off"]):
        on = await attendance_time.one_room(ctx)
        await update.effective_message.reply_text(chat_texts.one_room_setting(on, usage=True))
        return
    on = await attendance_time.set_one_room(ctx, args == ["on"])
    await update.effective_message.reply_text(chat_texts.one_room_setting(on))


@admin_only
async def capacity_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) != 2:
        await update.effective_message.reply_text(_(chat_texts.CAPACITY_USAGE))
        return
    session = await access.set_capacity(app_ctx(context), args[0], args[1])
    await update.effective_message.reply_text(chat_texts.capacity_set(session))


@admin_only
async def badges_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    fmt = context.args[0].lower() if context.args else "zip"
    data, count = await badges.print_badges(app_ctx(context), fmt)
    await send_file(update, context, data, f"badges.{fmt}", chat_texts.badges_caption(count, fmt))


@admin_only
async def reissue_badge_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if len(context.args or []) != 1:
        await update.effective_message.reply_text(_(chat_texts.REISSUE_USAGE))
        return
    badge = await badges.reissue_badge(app_ctx(context), context.args[0])
    await update.effective_message.reply_text(chat_texts.badge_reissued(badge))


@admin_only
async def shortlink_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    ctx = app_ctx(context)
    if len(args) < 2:
        await update.effective_message.reply_text(_(chat_texts.SHORTLINK_USAGE))
        return
    if len(args) == 2 and args[1].lower() == "off":
        await shortlinks.remove_shortlink(ctx, args[0])
        await update.effective_message.reply_text(chat_texts.shortlink_removed(args[0]))
        return
    # The pop-up is the rest of the message as typed (spaces and case kept).
    text = update.effective_message.text
    popup = text.split(maxsplit=3)[3] if len(text.split(maxsplit=3)) == 4 else ""
    line = await shortlinks.set_shortlink(ctx, args[0], args[1], popup)
    await update.effective_message.reply_text(chat_texts.shortlink_saved(line))


@admin_only
async def shortlinks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lines = await shortlinks.list_shortlinks(app_ctx(context))
    await update.effective_message.reply_text(chat_texts.shortlinks_list(lines))


@admin_only
async def shortlinkqr_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    data, count = await shortlinks.shortlink_qr_zip(app_ctx(context), context.args or None)
    await send_file(update, context, data, "shortlink-qr-codes.zip", chat_texts.shortlink_qr_caption(count))


@admin_only
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) not in (1, 2):
        await update.effective_message.reply_text(_(chat_texts.REPORT_USAGE))
        return
    ctx = app_ctx(context)
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    report = await reports.build_report(ctx, args[0], args[1] if len(args) == 2 else "xlsx")
    await send_file(update, context, report.data, report.filename, chat_texts.report_caption(report, ctx.timezone))


@admin_only
async def session_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if len(context.args or []) != 1:
        await update.effective_message.reply_text(_(chat_texts.SESSION_USAGE))
        return
    ctx = app_ctx(context)
    summary = await reports.session_summary(ctx, context.args[0])
    await update.effective_message.reply_text(chat_texts.session_summary_text(summary, ctx.timezone))
    chart = await dashboard.session_chart(ctx, summary.session.session_id)
    await update.effective_message.reply_photo(chart, caption=chat_texts.chart_caption(summary.session))


@admin_only
async def dashboard_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if args and (len(args) != 1 or args[0].lower() != "revoke"):
        await update.effective_message.reply_text(_(chat_texts.DASHBOARD_USAGE))
        return
    ctx = app_ctx(context)
    link = await dashboard.dashboard_link(ctx, revoke=bool(args), language=i18n.current())
    await update.effective_message.reply_text(chat_texts.dashboard_link_text(link, ctx.timezone, revoked=bool(args)))


@admin_only
async def attendee_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not context.args:
        await update.effective_message.reply_text(_(chat_texts.ATTENDEE_USAGE))
        return
    ctx = app_ctx(context)
    lookup = await reports.find_attendee_summary(ctx, " ".join(context.args))
    if lookup.summary is None:
        await update.effective_message.reply_text(chat_texts.attendee_choices(lookup))
    else:
        await update.effective_message.reply_text(chat_texts.attendee_summary_text(lookup.summary, ctx.timezone))


@admin_only
async def checkinwindow_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    ctx = app_ctx(context)
    if not args:
        window = await event.get_window_settings(ctx)
        await update.effective_message.reply_text(
            chat_texts.window_settings_text(window) + "\n" + _(chat_texts.CHAT.window_usage)
        )
        return
    if len(args) not in (2, 3):
        await update.effective_message.reply_text(_(chat_texts.CHAT.window_usage))
        return
    window = await event.set_window_settings(ctx, args[0], args[1], args[2] if len(args) == 3 else None)
    await update.effective_message.reply_text("✅ " + chat_texts.window_settings_text(window))


@admin_only
async def timezone_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    if len(context.args or []) != 1:
        await update.effective_message.reply_text(chat_texts.timezone_now(ctx.timezone.key))
        return
    change = await event.change_timezone(ctx, context.args[0])
    await update.effective_message.reply_text(chat_texts.timezone_changed(change))
