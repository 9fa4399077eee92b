"""Attendee conversation: /start (and deep links), PINs, /myattendance."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import chat_texts
from bot.domain import badges
from bot.domain.pins import DEEP_LINK_PREFIX
from bot.files import qr
from bot.handlers import scanner
from bot.handlers.common import app_ctx, person, update_id
from bot.i18n import _
from bot.services import attendance, messages, people
from bot.services.people import StartKind

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    payload = context.args[0] if context.args else None
    message = update.effective_message
    if payload and payload.lower().startswith(DEEP_LINK_PREFIX):
        await _pin_from_display(update, context, payload[len(DEEP_LINK_PREFIX) :])
        return
    shortlink = bool(payload) and payload[:2].upper() == "SL"
    if shortlink and await follow_shortlink(update, context, payload):
        return
    # Not a known shortlink: an invite token (older ones may start with "sl").
    outcome = await people.start(ctx, person(update), payload)
    if outcome.kind is StartKind.NOT_ON_LIST:
        await message.reply_text(_(chat_texts.NOT_ON_LIST))
    elif outcome.kind is StartKind.INVITE_UNKNOWN:
        await message.reply_text(_(chat_texts.SHORTLINK_UNKNOWN) if shortlink else _(chat_texts.INVITE_UNKNOWN))
    elif outcome.kind is StartKind.INVITE_TAKEN:
        await message.reply_text(_(chat_texts.INVITE_TAKEN))
    else:
        await message.reply_text(chat_texts.welcome(outcome.attendee.name, outcome.kind is StartKind.LINKED))


async def _pin_from_display(update: Update, context: ContextTypes.DEFAULT_TYPE, pin: str) -> None:
    ctx = app_ctx(context)
    outcome = await attendance.pin_from_link(ctx, person(update), pin, update_id(update))
    if outcome.result is None:
        await update.effective_message.reply_text(_(chat_texts.NOT_ON_LIST))
    else:
        await update.effective_message.reply_text(chat_texts.pin_reply(outcome.result, ctx.timezone))


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: a code typed at a door while scanning, else a PIN attempt if it looks like one."""
    ctx = app_ctx(context)
    message = update.effective_message
    outcome = await messages.handle_text(ctx, person(update), message.text, update_id(update))
    if outcome.scan_results is not None:
        await scanner.reply_verdicts(update, context, outcome.scan_results)
    elif outcome.pin is None:
        if badges.looks_like_token(message.text):
            log.warning("refused a badge code typed by %s, who is not scanning", update.effective_user.id)
        await message.reply_text(_(chat_texts.NOT_UNDERSTOOD))
    elif outcome.pin.result is None:
        await message.reply_text(_(chat_texts.NOT_ON_LIST))
    else:
        await message.reply_text(chat_texts.pin_reply(outcome.pin.result, ctx.timezone))


async def my_attendance(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    entries = await attendance.my_attendance(ctx, person(update))
    if entries is None:
        await update.effective_message.reply_text(_(chat_texts.NOT_ON_LIST))
        return
    await update.effective_message.reply_text(chat_texts.my_attendance(entries, ctx.timezone))


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(_(chat_texts.UNSUPPORTED_MESSAGE))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(_(chat_texts.UNKNOWN_COMMAND))


async def badge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The attendee's own badge QR as an image."""
    ctx = app_ctx(context)
    own = await people.own_badge(ctx, person(update))
    if own is None:
        await update.effective_message.reply_text(_(chat_texts.NOT_ON_LIST))
        return
    png = await asyncio.to_thread(qr.qr_png, own.token, [own.name, own.attendee_id])
    await update.effective_message.reply_photo(png, caption=chat_texts.badge_caption(own.name))


async def follow_shortlink(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> bool:
    """`/start SL001` from an onsite QR code; False (and no reply) if there is no such shortlink."""
    ctx = app_ctx(context)
    outcome = await attendance.follow_shortlink(ctx, person(update), code, update_id(update))
    if not outcome.known:
        return False
    if outcome.result is None:
        text = _(chat_texts.NOT_ON_LIST)
    else:
        text = chat_texts.shortlink_reply(outcome, ctx.timezone)
    await update.effective_message.reply_text(text)
    return True
