"""Admin-only bot commands for live views and reports: /report, /session, /attendee.

Each handler parses its arguments, calls one operation from
`admin_commands.reports` and renders the result with the wording in `bot.texts`.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from admin_commands import reports
from admin_commands.bot_handlers import admin_only, send_file
from bot import texts
from bot.handlers.common import app_ctx

# ---------------------------------------------------------------- handlers


@admin_only
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) not in (1, 2):
        await update.effective_message.reply_text(texts.REPORT_USAGE)
        return
    ctx = app_ctx(context)
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    report = await reports.build_report(ctx, args[0], args[1] if len(args) == 2 else "xlsx")
    await send_file(
        update, context, report.data, report.filename, texts.report_caption(report, ctx.settings.event_timezone)
    )


@admin_only
async def session_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if len(context.args or []) != 1:
        await update.effective_message.reply_text(texts.SESSION_USAGE)
        return
    ctx = app_ctx(context)
    summary = await reports.session_summary(ctx, context.args[0])
    await update.effective_message.reply_text(texts.session_summary_text(summary, ctx.settings.event_timezone))


@admin_only
async def attendee_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not context.args:
        await update.effective_message.reply_text(texts.ATTENDEE_USAGE)
        return
    ctx = app_ctx(context)
    lookup = await reports.find_attendee_summary(ctx, " ".join(context.args))
    if lookup.summary is None:
        await update.effective_message.reply_text(texts.attendee_choices(lookup))
    else:
        await update.effective_message.reply_text(
            texts.attendee_summary_text(lookup.summary, ctx.settings.event_timezone)
        )
