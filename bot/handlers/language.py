"""Who is answered in which language: set before every handler, changed with /language."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot import chat_texts, i18n
from bot.handlers.common import app_ctx
from bot.i18n import _
from bot.services import languages, scanning
from bot.telegram import menus

# The button that forgets a choice: back to the Telegram app's language.
AUTOMATIC = "auto"


async def speak_to_sender(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler (group -2): the rest of this update is written in the sender's language.

    Each update runs in a task of its own (bot.telegram.updates), so this never leaks into another update."""
    user = update.effective_user if isinstance(update, Update) else None
    if user is not None:
        i18n.use(languages.language_for(app_ctx(context), user.id, user.language_code))


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/language` shows the choice; `/language de` (or `auto`) makes it."""
    if context.args:
        code = context.args[0].strip().lower()
        language = AUTOMATIC if code == AUTOMATIC else i18n.supported(code)
        if language is None or len(context.args) > 1:
            await update.effective_message.reply_text(chat_texts.language_unknown(" ".join(context.args)))
            return
        await _choose(update, context, language)
        return
    ctx = app_ctx(context)
    user = update.effective_user
    if languages.chosen(ctx, user.id):
        source = chat_texts.LanguageSource.CHOSEN
    elif i18n.supported(user.language_code):
        source = chat_texts.LanguageSource.TELEGRAM
    else:
        source = chat_texts.LanguageSource.EVENT
    await update.effective_message.reply_text(chat_texts.language_now(source), reply_markup=_choices())


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    language = query.data.removeprefix("lang:")
    if language != AUTOMATIC and language not in i18n.LANGUAGES:
        await query.answer(_(chat_texts.BUTTON_EXPIRED))
        return
    await query.answer()
    await _choose(update, context, language)


async def _choose(update: Update, context: ContextTypes.DEFAULT_TYPE, language: str) -> None:
    ctx = app_ctx(context)
    user = update.effective_user
    await languages.choose(ctx, user.id, None if language == AUTOMATIC else language)
    i18n.use(languages.language_for(ctx, user.id, user.language_code))  # this reply already in the new one
    reply = chat_texts.language_automatic() if language == AUTOMATIC else chat_texts.language_chosen()
    await update.effective_message.reply_text(reply)
    await menus.publish_menu(context.application, user.id, await scanning.is_scanner(ctx, user.id))


def _choices() -> InlineKeyboardMarkup:
    named = sorted(i18n.LANGUAGE_NAMES.items(), key=lambda item: item[1])
    rows = [[InlineKeyboardButton(name, callback_data=f"lang:{code}") for code, name in named]]
    rows.append([InlineKeyboardButton(_(chat_texts.TELEGRAM_LANGUAGE), callback_data=f"lang:{AUTOMATIC}")])
    return InlineKeyboardMarkup(rows)
