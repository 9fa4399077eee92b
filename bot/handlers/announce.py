"""Announcements in the chat: `/announce` (organisers), its Send / Cancel buttons, its progress
message, and `/mute` (anyone).

`/announce` answers with a preview and the number of recipients; the draft waits in a single-use
confirmation (`bot.services.confirmations`) and nothing is queued before Send. After Send, the
preview becomes the progress message: `ProgressReporter`, an observer of the outbox sender, edits it
in place at most every `EVERY` seconds, and once more with the summary when the announcement ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from bot import chat_texts, i18n
from bot.handlers.common import app_ctx
from bot.handlers.organiser import admin_only
from bot.i18n import _
from bot.services import announcements, confirmations, languages
from bot.services.context import AppContext
from bot.services.errors import OrganiserError, Problem

log = logging.getLogger(__name__)
EVERY = 3.0  # seconds between two edits of a progress message
REPORTER = "announce_progress"  # bot_data key of the application's ProgressReporter
SENDER = "outbox"  # bot_data key of the running OutboxSender


def _attached_file(message: Message) -> tuple[str | None, str | None]:
    """The photo or PDF the command replies to: (kind, Telegram file_id), or (None, None)."""
    replied = message.reply_to_message
    if replied is None:
        return None, None
    if replied.photo:
        return "photo", replied.photo[-1].file_id
    if replied.document:
        document = replied.document
        if document.mime_type == "application/pdf" or (document.file_name or "").lower().endswith(".pdf"):
            return "document", document.file_id
        raise OrganiserError(Problem.ANNOUNCE_FILE)
    return None, None


@admin_only
async def announce_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1)
    rest = parts[1] if len(parts) == 2 else ""
    words = rest.split(maxsplit=2)
    if not words:
        await message.reply_text(_(chat_texts.ANNOUNCE_USAGE))
        return
    if words[0].lower() == "stop" and len(words) == 1:
        await _stop(update, context)
        return
    # The text is the rest of the message as typed (line breaks and spaces kept).
    after = 1 if words[0].lower() == announcements.Audience.EVERYONE else 2
    split = rest.split(maxsplit=after)
    text = split[after] if len(split) > after else ""
    draft = announcements.draft(words[:after], text, *_attached_file(message))
    preview = await announcements.preview(ctx, draft)
    shown = announcements.message_text(ctx, draft, preview.session, i18n.current())
    if preview.recipients == 0:
        await message.reply_text(chat_texts.announce_nobody(preview))
        return
    token = await confirmations.ask(ctx, update.effective_user.id, draft.action)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_(chat_texts.SEND), callback_data=f"announce:{token}:yes"),
                InlineKeyboardButton(_(chat_texts.CANCEL), callback_data=f"announce:{token}:no"),
            ]
        ]
    )
    await message.reply_text(chat_texts.announce_preview(preview, shown), reply_markup=keyboard)


@admin_only
async def announce_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send or Cancel under a preview: the token is single-use and bound to the organiser who asked."""
    ctx = app_ctx(context)
    query = update.callback_query
    _prefix, token, answer = ([*query.data.split(":"), "", ""])[:3]
    action = await confirmations.consume(ctx, token, update.effective_user.id)
    draft = announcements.Draft.from_action(action) if action else None
    await query.answer()
    if draft is None:
        await query.edit_message_text(_(chat_texts.BUTTON_EXPIRED))
        return
    if answer != "yes":
        await query.edit_message_text(_(chat_texts.ANNOUNCE_CANCELLED))
        return
    where = (query.message.chat.id, query.message.message_id)
    queued = await announcements.send(ctx, draft, created_by=update.effective_user.id, progress=where)
    progress_reporter(context.application, ctx)(queued.broadcast_id)


async def _stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    stopped = await announcements.stop(ctx, update.effective_user.id)
    if not stopped:
        await update.effective_message.reply_text(_(chat_texts.ANNOUNCE_NOTHING_TO_STOP))
        return
    await update.effective_message.reply_text(chat_texts.announce_stopped(sum(n for _, n in stopped)))
    reporter = progress_reporter(context.application, ctx)
    for broadcast_id, _cancelled in stopped:
        reporter(broadcast_id)


async def mute_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/mute`: no announcements or reminders for this person; `/mute off` undoes it."""
    args = [a.lower() for a in context.args or []]
    if args not in ([], ["off"], ["on"]):
        await update.effective_message.reply_text(_(chat_texts.MUTE_USAGE))
        return
    on = args != ["off"]
    await announcements.mute(app_ctx(context), update.effective_user.id, on)
    await update.effective_message.reply_text(_(chat_texts.MUTED if on else chat_texts.UNMUTED))


def progress_reporter(application: Application, ctx: AppContext) -> ProgressReporter:
    """The application's one reporter, among the observers of the running outbox sender if there is one
    (`bot.__main__` keeps it in `bot_data` under `SENDER`, bot.telegram.outbox's OUTBOX key)."""
    reporter = application.bot_data.get(REPORTER)
    if reporter is None:
        reporter = application.bot_data[REPORTER] = ProgressReporter(application, ctx)
    sender = application.bot_data.get(SENDER)
    if sender is not None and reporter not in sender.observers:
        sender.observers.append(reporter)
    return reporter


class ProgressReporter:
    """Told a broadcast id after each message the sender settles (and at the end): edits the
    announcement's progress message, at most every `every` seconds, always once after the last news.

    One task per broadcast does the edits in order, so a late edit never overwrites the summary. It
    runs in a context of its own: the sender's messages give way to replies (`SPEAKING_FIRST`), and
    this edit is an answer to the organiser, in the organiser's language."""

    def __init__(self, application: Application, ctx: AppContext, every: float = EVERY) -> None:
        self.application = application
        self.ctx = ctx
        self.every = every
        self._dirty: set[int] = set()
        self._tasks: dict[int, asyncio.Task] = {}
        self._last: dict[int, float] = {}
        self._without_message: set[int] = set()  # reminders, announcements from the command line

    def __call__(self, broadcast_id: int) -> None:
        if broadcast_id in self._without_message:
            return
        self._dirty.add(broadcast_id)
        if broadcast_id not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._work(broadcast_id), context=contextvars.Context())
            self._tasks[broadcast_id] = task

    async def settled(self) -> None:
        """Wait until every edit asked for is made (tests, and a clean stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _work(self, broadcast_id: int) -> None:
        try:
            while broadcast_id in self._dirty:
                wait = self._last.get(broadcast_id, -math.inf) + self.every - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self._dirty.discard(broadcast_id)
                await self._edit(broadcast_id)
                self._last[broadcast_id] = time.monotonic()
        except Exception:
            log.exception("could not show the progress of announcement %d", broadcast_id)
        finally:
            self._tasks.pop(broadcast_id, None)

    async def _edit(self, broadcast_id: int) -> None:
        progress = await announcements.progress(self.ctx, broadcast_id)
        if progress is None or progress.message_id is None:
            self._without_message.add(broadcast_id)
            self._dirty.discard(broadcast_id)
            return
        i18n.use(languages.language_for(self.ctx, progress.created_by, None))
        try:
            await self.application.bot.edit_message_text(
                chat_texts.announce_progress(progress), chat_id=progress.chat_id, message_id=progress.message_id
            )
        except BadRequest as exc:  # "message is not modified", or the organiser deleted it
            log.debug("progress of announcement %d not shown: %s", broadcast_id, exc.message)
        except TelegramError as exc:
            log.warning("progress of announcement %d not shown: %s", broadcast_id, exc)
