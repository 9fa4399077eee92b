"""Shared handler plumbing: who is asking, the error handler, /help."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import chat_texts
from bot.i18n import _
from bot.services import scanning
from bot.services.checkin import RequestKey
from bot.services.context import AppContext, Person

log = logging.getLogger(__name__)


def app_ctx(context: ContextTypes.DEFAULT_TYPE) -> AppContext:
    return context.bot_data["ctx"]


def person(update: Update) -> Person:
    user = update.effective_user
    return Person(user.id, user.first_name or "", user.last_name or "", user.username)


def request_key(update: Update) -> RequestKey:
    """How the check-in pipeline knows this update again if it is handled twice (after a restart)."""
    return RequestKey.chat(update.update_id if isinstance(update, Update) else None)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    user_id = update.effective_user.id
    is_scanner = await scanning.is_scanner(ctx, user_id)
    await update.effective_message.reply_text(chat_texts.help_text(ctx.is_admin(user_id), is_scanner))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with the update id; tell the user only what is true.

    The error may have happened before the transaction committed (nothing kept)
    or after it, while replying (the check-in is recorded), so the message
    points to /myattendance instead of guessing. Nothing about the failure
    itself reaches the chat.
    """
    uid = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", uid, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
        try:
            await context.bot.send_message(update.effective_chat.id, _(chat_texts.INTERNAL_ERROR))
        except Exception:  # the reply itself failed (network, blocked bot): already logged above
            log.warning("could not tell user about the error for update %s", uid)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press nothing else claims (old keyboards, tampered data)."""
    await update.callback_query.answer(_(chat_texts.BUTTON_EXPIRED))
