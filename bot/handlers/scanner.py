"""Door staff: /scan, badge photos and typed codes, Admit anyway and Undo buttons."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import ContextTypes

from bot import chat_texts
from bot.domain.rules import ActionRefusal, Method, overridable, undoable
from bot.files import qr
from bot.handlers.common import app_ctx, person, request_key
from bot.i18n import _
from bot.services import checkin, scanning
from bot.services.scanning import BadgeCodes, Override, ScanRefusal, Undo

log = logging.getLogger(__name__)
MAX_PHOTO_BYTES = 20 * 1024 * 1024


async def scan_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    message = update.effective_message
    user_id = update.effective_user.id
    try:
        if context.args:
            wanted = None if context.args[0].lower() == "off" else context.args[0]
            session = await scanning.choose_session(ctx, user_id, wanted)
            await message.reply_text(chat_texts.scanning_for(session) if session else _(chat_texts.SCAN_STOPPED))
            return
        sessions = await scanning.scannable_sessions(ctx, user_id)
    except ScanRefusal as refusal:
        log.warning("refused /scan from user %s: %s", user_id, refusal.reason)
        await message.reply_text(chat_texts.scan_refusal(refusal.reason))
        return
    if not sessions:
        await message.reply_text(_(chat_texts.NO_SESSIONS_TO_SCAN))
        return
    keyboard = [
        [InlineKeyboardButton(f"{s.session_id} · {s.title}"[:60], callback_data=f"scan:{s.session_id}")]
        for s in sessions[:30]
    ]
    app_url = ctx.settings.scanner_app_url
    if app_url:  # continuous scanning in the Mini App, above the chat's own choice of session
        keyboard.insert(0, [InlineKeyboardButton(_(chat_texts.OPEN_SCANNER), web_app=WebAppInfo(app_url))])
    await message.reply_text(_(chat_texts.PICK_SESSION), reply_markup=InlineKeyboardMarkup(keyboard))


async def scan_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    try:
        session = await scanning.choose_session(app_ctx(context), update.effective_user.id, query.data.split(":", 1)[1])
    except ScanRefusal as refusal:
        log.warning("refused %r from user %s: %s", query.data[:40], update.effective_user.id, refusal.reason)
        await query.answer(chat_texts.scan_refusal(refusal.reason), show_alert=True)
        return
    await query.answer()
    await query.edit_message_text(chat_texts.scanning_for(session))


async def image(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or an image file from a scanner: decode every QR off the event loop, then judge
    them all in one use case. Anyone else's photo is neither downloaded nor decoded."""
    ctx = app_ctx(context)
    message = update.effective_message
    refusal = await scanning.scan_refusal(ctx, update.effective_user.id)
    if refusal is not None:
        await _refuse_photo(update, refusal)
        return
    attachment = message.photo[-1] if message.photo else message.document
    if attachment.file_size and attachment.file_size > MAX_PHOTO_BYTES:
        await message.reply_text(chat_texts.image_rejected(_(chat_texts.PHOTO_TOO_LARGE)))
        return
    data = bytes(await (await attachment.get_file()).download_as_bytearray())
    try:
        codes = await asyncio.to_thread(qr.decode_qr, data, ctx.settings.qr_decoder)
    except qr.ImageRejected as rejected:
        await message.reply_text(chat_texts.image_rejected(str(rejected)))
        return
    if not codes:
        await message.reply_text(_(chat_texts.NO_CODE_FOUND))
        return
    try:
        request = BadgeCodes(tuple(codes), Method.SCAN)
        outcome = await checkin.check_in(ctx, person(update), request, request_key(update))
    except ScanRefusal as refused:  # the assignment changed while the photo was being read
        await _refuse_photo(update, refused.reason)
        return
    await reply_verdicts(update, context, outcome.results)


async def _refuse_photo(update: Update, refusal: ActionRefusal) -> None:
    if refusal is ActionRefusal.NOT_SCANNER:
        log.warning("refused a photo from non-scanner %s", update.effective_user.id)
        await update.effective_message.reply_text(_(chat_texts.PHOTO_NOT_EXPECTED))
    else:
        await update.effective_message.reply_text(chat_texts.scan_refusal(refusal))


async def reply_verdicts(update: Update, context: ContextTypes.DEFAULT_TYPE, results) -> None:
    """One message per code, GREEN or RED, with its button."""
    tz = app_ctx(context).timezone
    for result in results:
        await update.effective_message.reply_text(
            chat_texts.scan_verdict(result, tz), reply_markup=_verdict_buttons(result)
        )


def _verdict_buttons(result) -> InlineKeyboardMarkup | None:
    if result.log_id is None:
        return None
    if overridable(result.verdict.reason, result.method):
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(_(chat_texts.ADMIT_ANYWAY), callback_data=f"ovr:{result.log_id}")]]
        )
    if undoable(result.verdict.accepted, result.direction, result.method):
        return InlineKeyboardMarkup([[InlineKeyboardButton(_(chat_texts.UNDO), callback_data=f"undo:{result.log_id}")]])
    return None


def _log_id(data: str) -> int | None:
    """The log row id in button data; None for anything tampered with."""
    match = re.fullmatch(r"[a-z]+:([0-9]{1,18})", data)
    return int(match.group(1)) if match else None


async def override_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admit anyway: a RED becomes an override row naming this scanner."""
    ctx = app_ctx(context)
    tz = ctx.timezone
    await _verdict_button(
        update,
        ActionRefusal.NOT_OVERRIDABLE,
        lambda log_id: checkin.check_in(ctx, person(update), Override(log_id), request_key(update)),
        lambda result: (chat_texts.scan_verdict(result, tz), _verdict_buttons(result)),
    )


async def undo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Undo one's own GREEN within the rule engine's `UNDO_WINDOW`: an UNDO row annuls it."""
    ctx = app_ctx(context)
    await _verdict_button(
        update,
        ActionRefusal.CANNOT_UNDO,
        lambda log_id: checkin.check_in(ctx, person(update), Undo(log_id), request_key(update)),
        lambda result: (chat_texts.undo_done(result), None),
    )


async def _verdict_button(update: Update, tampered: ActionRefusal, act, render) -> None:
    """A button under a verdict: refuse tampered data or a refused action with
    an alert (and a log line); otherwise show the new state in place."""
    query = update.callback_query
    log_id = _log_id(query.data)
    try:
        if log_id is None:
            raise ScanRefusal(tampered)
        result = (await act(log_id)).result
    except ScanRefusal as refusal:
        log.warning("refused %r by user %s: %s", query.data[:40], update.effective_user.id, refusal.reason)
        await query.answer(chat_texts.scan_refusal(refusal.reason), show_alert=True)
        return
    await query.answer()
    text, buttons = render(result)
    await query.edit_message_text(text, reply_markup=buttons)
