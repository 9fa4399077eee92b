"""Which language a reply is written in, and the catalogues that word it.

English is the source language: every sentence is written in English in the
code and marked for translation, and `bot/locale/<language>/LC_MESSAGES/messages.po`
holds its translation (README "Languages" says how to add one). The compiled
`.mo` files are committed next to them, so a fresh clone works offline; a
test fails when a `.mo` is older than its `.po`.

The language of the reply being written is a context variable: each Telegram
update is handled in its own asyncio task, so setting it for one update never
leaks into another. Code that writes for somebody who is not the one asking
(badges and posters in the event language, the command line) sets it with
`speaking(language)`.

Markers, as the extractor (`make translations`) knows them:

- `_("text")` translates now, in the current language;
- `ngettext("one", "many", n)` picks the plural form of the current language;
- `N_("text")` only marks a module-level constant for extraction: translate it
  with `_()` where it is used, when the reader's language is known.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

SOURCE_LANGUAGE = "en"
# Endonyms: a reader finds their own language by its own name.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
LANGUAGES = tuple(LANGUAGE_NAMES)
# Babel locales for dates and numbers: British English writes 2 Dec, 10:02, as a
# European event expects, instead of the American Dec 2, 10:02 AM.
BABEL_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("language", default=SOURCE_LANGUAGE)


@cache
def catalogue(language: str) -> gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    # A missing catalogue answers in English rather than not at all; tests/test_catalogues.py
    # makes sure every language's catalogue is there and complete.
    return gettext.translation(DOMAIN, LOCALE_DIR, [language], fallback=True)


def _(message: str) -> str:
    return catalogue(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # the name gettext's tools look for
    return message


def supported(code: str | None) -> str | None:
    """The supported language for a Telegram `language_code` ("de", "de-AT", "pt-br"), or None."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-")[0].strip().lower()
    return primary if primary in LANGUAGE_NAMES else None


def current() -> str:
    return _current.get()


def babel_locale(language: str | None = None) -> str:
    return BABEL_LOCALES[language or _current.get()]


def use(language: str) -> None:
    """Speak `language` for the rest of this task (the update being handled)."""
    _current.set(language)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Speak `language` inside the block, e.g. for badges printed in the event language."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)
