"""Attendee conversation: /start (and deep links), PINs, /myattendance."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import chat_texts
from bot.domain import badges
from bot.domain.rules import Method
from bot.files import qr
from bot.handlers import scanner
from bot.handlers.common import app_ctx, person, request_key
from bot.i18n import _
from bot.services import attendance, credits, messages, people
from bot.services.checkin import CheckinOutcome, NotDone
from bot.services.people import StartKind
from bot.services.scanning import ScanRefusal

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/start`, with a deep link's payload if any: one use case decides what the payload is."""
    ctx = app_ctx(context)
    payload = context.args[0] if context.args else None
    message = update.effective_message
    outcome = await attendance.start(ctx, person(update), payload, request_key(update))
    if outcome.checkin is not None:
        await message.reply_text(_checkin_reply(outcome.checkin, outcome.method, ctx))
        return
    welcome = outcome.welcome
    if welcome.kind is StartKind.NOT_ON_LIST:
        await message.reply_text(_(chat_texts.NOT_ON_LIST))
    elif welcome.kind is StartKind.INVITE_UNKNOWN:
        shortlink = bool(payload) and payload[:2].upper() == "SL"
        await message.reply_text(_(chat_texts.SHORTLINK_UNKNOWN) if shortlink else _(chat_texts.INVITE_UNKNOWN))
    elif welcome.kind is StartKind.INVITE_TAKEN:
        await message.reply_text(_(chat_texts.INVITE_TAKEN))
    else:
        await message.reply_text(chat_texts.welcome(welcome.attendee.name, welcome.kind is StartKind.LINKED))


def _checkin_reply(outcome: CheckinOutcome, method: Method, ctx) -> str:
    """The attendee's answer to a PIN or a shortlink."""
    if outcome.not_done is NotDone.NOT_ON_LIST:
        return _(chat_texts.NOT_ON_LIST)
    if outcome.not_done is NotDone.UNKNOWN_SHORTLINK:
        return _(chat_texts.SHORTLINK_UNKNOWN)
    if method is Method.SHORTLINK:
        return chat_texts.shortlink_reply(outcome, ctx.timezone)
    return chat_texts.pin_reply(outcome.result, ctx.timezone)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: a code typed at a door while scanning, else a PIN attempt if it looks like one."""
    ctx = app_ctx(context)
    message = update.effective_message
    try:
        outcome = await messages.handle_text(ctx, person(update), message.text, request_key(update))
    except ScanRefusal as refusal:  # the scanner's assignment changed a moment ago
        await message.reply_text(chat_texts.scan_refusal(refusal.reason))
        return
    if outcome.scan is not None:
        await scanner.reply_verdicts(update, context, outcome.scan.results)
    elif outcome.pin is None:
        if badges.looks_like_token(message.text):
            log.warning("refused a badge code typed by %s, who is not scanning", update.effective_user.id)
        await message.reply_text(_(chat_texts.NOT_UNDERSTOOD))
    else:
        await message.reply_text(_checkin_reply(outcome.pin, Method.PIN, ctx))


async def my_attendance(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    mine = await credits.my_attendance(ctx, person(update))
    if mine is None:
        await update.effective_message.reply_text(_(chat_texts.NOT_ON_LIST))
        return
    await update.effective_message.reply_text(chat_texts.fit(chat_texts.my_attendance(mine, ctx.timezone)))


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
