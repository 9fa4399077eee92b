"""Every attendee, scanner and organiser is answered in their own language, through the real Application.

The expected wording is the catalogue's own translation of the English
template (`in_language`), so these tests hold whatever words the translators
choose, and fail if a reply comes in another language or from another template.
"""

from __future__ import annotations

import dataclasses
import io
import string

import pytest
from openpyxl import load_workbook

from bot import chat_texts, i18n
from bot.domain.rules import Reason
from bot.files.spreadsheet import sheet_title
from tests.harness import ORGANISER, BotHarness, User

EVERY_LANGUAGE = list(i18n.LANGUAGES)


def in_language(language: str, message: str) -> str:
    with i18n.speaking(language):
        return i18n._(message)


def literal_parts(template: str) -> list[str]:
    """The words of a template around its placeholders: what any reply made from it contains."""
    return [text.strip() for text, *_ in string.Formatter().parse(template) if len(text.strip()) > 3]


def made_from(reply: str, language: str, message: str) -> bool:
    parts = literal_parts(in_language(language, message))
    return bool(parts) and all(part in reply for part in parts)


def attendee(number: int, language_code: str | None) -> User:
    return User(900 + number, "Ana", language_code=language_code)


def test_every_language_has_its_own_wording():
    """Guards the tests below: were a catalogue missing, every language would read as English."""
    english = chat_texts.PIN_REPLIES[Reason.OK]
    for language in EVERY_LANGUAGE[1:]:
        assert in_language(language, english) != english, language


@pytest.mark.parametrize("language", EVERY_LANGUAGE)
async def test_a_check_in_and_a_refusal_come_in_the_app_language(event, language):
    ana = attendee(1, language)
    reply = await event.reply_text(ana, "KEY1IN")
    assert made_from(reply, language, chat_texts.PIN_REPLIES[Reason.OK]), reply
    assert "S1 · Opening keynote" in reply  # data is never translated
    refusal = await event.reply_text(ana, "ZZZZ99")
    assert made_from(refusal, language, chat_texts.PIN_REPLIES[Reason.UNKNOWN_PIN]), refusal


@pytest.mark.parametrize(
    "language,date",
    [
        ("en", "Thu 14 May, 10:00"),
        ("de", "Do., 14. Mai, 10:00"),
        ("fr", "jeu. 14 mai, 10:00"),
        ("es", "jue, 14 may, 10:00"),
    ],
)
async def test_my_attendance_and_its_dates_come_in_the_app_language(event, language, date):
    ana = attendee(2, language)
    await event.reply_text(ana, "KEY1IN")
    reply = await event.reply_text(ana, "/myattendance")
    assert in_language(language, "Your attendance (newest first):") in reply, reply
    assert date in reply, reply


@pytest.mark.parametrize("language", EVERY_LANGUAGE)
async def test_help_comes_in_the_app_language(event, language):
    reply = await event.reply_text(attendee(3, language), "/help")
    assert reply.startswith(in_language(language, chat_texts.HELP_ATTENDEE)), reply


async def test_an_unsupported_app_language_gets_the_event_language(tmp_path):
    harness = await BotHarness(tmp_path, EVENT_LANGUAGE="de").start()
    try:
        reply = await harness.reply_text(attendee(4, "pt-br"), "/help")
        assert reply.startswith(in_language("de", chat_texts.HELP_ATTENDEE)), reply
        # A supported app language still wins over the event's; a regional variant counts.
        reply = await harness.reply_text(attendee(5, "fr-CA"), "/help")
        assert reply.startswith(in_language("fr", chat_texts.HELP_ATTENDEE)), reply
    finally:
        await harness.stop()


async def test_without_event_language_an_unsupported_app_gets_english(event):
    for code in ("pt-br", None, ""):
        reply = await event.reply_text(attendee(6, code), "/help")
        assert reply.startswith(chat_texts.HELP_ATTENDEE), reply


async def test_language_command_overrides_the_app_language_until_auto(event):
    ana = attendee(7, "de")
    reply = await event.reply_text(ana, "/language fr")
    assert reply == texts_in("fr", chat_texts.language_chosen)
    assert "français" in reply  # the language's name as French writes it inside a sentence
    assert await event.rows("SELECT user_id, language FROM chosen_languages") == [(ana.id, "fr")]
    reply = await event.reply_text(ana, "KEY1IN")
    assert made_from(reply, "fr", chat_texts.PIN_REPLIES[Reason.OK]), reply
    # The menu follows: published for this chat in French, whatever the app's language.
    menus = [c for c in event.api.sent("setMyCommands") if c.params["scope"].get("chat_id") == ana.id]
    assert menus and all(in_language("fr", "The language I answer you in") in str(m.params) for m in menus)

    reply = await event.reply_text(ana, "/language auto")
    assert reply == texts_in("de", chat_texts.language_automatic)
    assert await event.rows("SELECT * FROM chosen_languages") == []
    reply = await event.reply_text(ana, "ZZZZ99")
    assert made_from(reply, "de", chat_texts.PIN_REPLIES[Reason.UNKNOWN_PIN]), reply


def texts_in(language: str, wording, *args) -> str:
    with i18n.speaking(language):
        return wording(*args)


async def test_language_buttons(event):
    ana = attendee(8, "en")
    calls = await event.send(ana, "/language")
    assert calls[-1].text == chat_texts.language_now(chat_texts.LanguageSource.TELEGRAM)
    labels = dict(calls[-1].buttons)
    assert set(labels) >= {"Deutsch", "English", "Español", "Français"}
    calls = await event.press(ana, labels["Español"])
    said = [c.text for c in calls if c.method == "sendMessage"]
    assert said == [texts_in("es", chat_texts.language_chosen)]
    calls = await event.send(ana, "/language")
    assert calls[-1].text == texts_in("es", chat_texts.language_now, chat_texts.LanguageSource.CHOSEN)


@pytest.mark.parametrize("bad", ["/language xx", "/language de fr", "/language " + "q" * 500, "/language ../../etc"])
async def test_an_unknown_language_is_refused_and_nothing_is_kept(event, bad):
    reply = await event.reply_text(attendee(9, "de"), bad)
    assert made_from(reply, "de", chat_texts.LANGUAGE_UNKNOWN), reply
    assert "/language" in reply and "de, en, es, fr, auto" in reply and len(reply) < 300
    assert await event.rows("SELECT * FROM chosen_languages") == []


async def test_a_tampered_language_button_is_refused(event):
    calls = await event.press(attendee(10, "de"), "lang:xx")
    assert calls[-1].method == "answerCallbackQuery"
    assert calls[-1].params.get("text") == in_language("de", chat_texts.BUTTON_EXPIRED)
    assert await event.rows("SELECT * FROM chosen_languages") == []


async def test_a_german_organiser_gets_a_german_report(event):
    olga = User(ORGANISER.id, ORGANISER.first_name, ORGANISER.username, language_code="de")
    await event.reply_text(attendee(11, "fr"), "KEY1IN")
    calls = await event.send(olga, "/report checkins")
    document = next(c for c in calls if c.method == "sendDocument")
    _, data = document.file()
    book = load_workbook(io.BytesIO(data))
    headers = next(book.worksheets[0].iter_rows(values_only=True))
    assert headers[0] == in_language("de", "Session id") != "Session id"
    assert headers[4] == in_language("de", "Name")
    assert made_from(headers[6], "de", "Check-in time ({zone})"), headers
    assert book.sheetnames[0] == sheet_title(in_language("de", "Check-ins"))
    assert "Ana" in [row[4] for row in book.worksheets[0].iter_rows(values_only=True)]  # data as it is
    assert made_from(document.text, "de", "Times in {zone} ({offsets}).")


async def test_menus_are_published_in_every_language(event):
    from bot.telegram.menus import publish_commands

    await publish_commands(event.app, event.ctx, [])
    defaults = {
        c.params.get("language_code"): {b["command"]: b["description"] for b in c.params["commands"]}
        for c in event.api.sent("setMyCommands")
        if c.params["scope"]["type"] == "default"
    }
    assert set(defaults) == {None, *EVERY_LANGUAGE}
    for language in EVERY_LANGUAGE:
        assert defaults[language]["help"] == in_language(language, "What I can do")
    assert defaults[None] == defaults["en"]  # other apps: the event's language


async def test_the_dashboard_link_opens_in_the_organisers_language(event):
    event.ctx.settings = dataclasses.replace(event.ctx.settings, public_url="https://attendance.example.org")
    olga = User(ORGANISER.id, ORGANISER.first_name, ORGANISER.username, language_code="fr")
    reply = await event.reply_text(olga, "/dashboard")
    assert made_from(reply, "fr", "Valid until {when}."), reply
    assert "/?lang=fr\n" in reply, reply
    reply = await event.reply_text(ORGANISER, "/dashboard")  # no app language: the event's, no parameter
    assert "lang=" not in reply, reply


@pytest.mark.parametrize("language", ["de", "fr", "es"])
async def test_door_staff_read_their_verdicts_in_their_language(event, language):
    dora = User(700, "Dora", "dora_door", language_code=language)
    await event.reply_text(dora, "/start")
    await event.reply_text(ORGANISER, "/scanner @dora_door S1")
    await event.reply_text(dora, "/scan S1")
    green = await event.reply_text(dora, "REG-2")
    assert made_from(green, language, chat_texts.SCAN_HEADS[Reason.OK]), green
    assert "Bob Builder (REG-2)" in green  # the name as it was imported
    again = await event.reply_text(dora, "REG-2")
    assert made_from(again, language, chat_texts.SCAN_HEADS[Reason.ALREADY_CHECKED_IN]), again


async def test_row_errors_found_in_the_database_thread_speak_the_organisers_language(event):
    """Import checks that need the database run in its thread: they must still speak German."""
    olga = User(ORGANISER.id, ORGANISER.first_name, ORGANISER.username, language_code="de")
    calls = await event.send_document(olga, b"attendee_id,session_id\nREG-404,S1\n", "registrations.csv")
    reply = calls[-1].text
    assert made_from(reply, "de", "unknown attendee '{attendee_id}' (import attendees first)"), reply
    assert "REG-404" in reply


@pytest.mark.parametrize("value,expected", [("", "en"), ("de", "de"), ("de-AT", "de"), (" FR ", "fr")])
def test_event_language_setting(value, expected):
    from bot.config import load_settings

    assert load_settings({"EVENT_LANGUAGE": value}, require_token=False).event_language == expected


@pytest.mark.parametrize("value", ["klingon", "pt", "../../etc"])
def test_an_unsupported_event_language_is_refused_in_one_line(value):
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as refused:
        load_settings({"EVENT_LANGUAGE": value}, require_token=False)
    message = str(refused.value)
    assert message.startswith("EVENT_LANGUAGE=") and "en, de, fr, es" in message and "\n" not in message
