"""The translation catalogues are complete, consistent with the code, and compiled.

A message id without a translation, a placeholder renamed or dropped in a
translation, a missing plural form, a catalogue older than the code, or a
`.mo` older than its `.po` each fail here: the bot would otherwise answer a
German attendee in English, or crash formatting a reply (`KeyError`).
"""

from __future__ import annotations

import gettext
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot import i18n

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]


def _catalogue(language: str):
    with open(i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as f:
        return read_po(f, locale=language)


def _template():
    with open(i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot", "rb") as f:
        return read_po(f)


def _ids(catalogue) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_template_holds_every_message_the_code_marks(tmp_path):
    """`make translations` was run after the last wording change: extracting now changes nothing."""
    fresh = tmp_path / "fresh.pot"
    extract = ["-q", "extract", "-F", "babel.cfg", "-k", "N_", "-o", str(fresh), "."]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *extract],
        cwd=ROOT,
        check=True,
    )
    with open(fresh, "rb") as f:
        extracted = _ids(read_po(f))
    committed = _ids(_template())
    assert extracted - committed == set(), "new messages: run make translations and translate them"
    assert committed - extracted == set(), "messages no longer used: run make translations"


def test_messages_use_named_placeholders_only():
    """Translators reorder placeholders: `{}` and `{0}` cannot be reordered safely."""
    for message in _template():
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            names = placeholders(text) if text else set()
            assert all(re.fullmatch(r"[a-z_]+", name) for name in names), (text, names)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language):
    catalogue = _catalogue(language)
    template_ids = _ids(_template())
    assert template_ids <= _ids(catalogue), f"{language}: not merged, run make translations"
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy (needs review): {message.id!r}")
        if isinstance(message.id, tuple):
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if len(forms) != catalogue.num_plurals or not all(forms):
                problems.append(f"plural forms missing ({len(forms)} of {catalogue.num_plurals}): {message.id[0]!r}")
            wanted = placeholders(message.id[1])
            # A form for exactly one may say "one" instead of {count}; every other form keeps them all.
            problems += [
                f"placeholders {placeholders(form)} != {wanted}: {form!r}"
                for form in forms[1:]
                if placeholders(form) != wanted
            ]
        else:
            if not message.string:
                problems.append(f"untranslated: {message.id!r}")
            elif placeholders(message.string) != placeholders(message.id):
                problems.append(f"placeholders differ: {message.id!r} -> {message.string!r}")
    assert problems == [], f"{language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_matches_its_source(language):
    """The committed `.mo` (what the bot reads) says what the `.po` says."""
    catalogue = _catalogue(language)
    with open(i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            form_for = gettext.c2py(catalogue.plural_expr)
            for n in (0, 1, 2, 5, 21, 1_000_000):
                assert compiled.ngettext(*message.id, n) == message.string[form_for(n)], f"{language}: {message.id}"
        else:
            assert compiled.gettext(message.id) == message.string, f"{language}: run make translations"


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_rules_are_the_languages_own(language):
    """The header's Plural-Forms are CLDR's for the language (French: 0 and 1 are singular)."""
    assert _catalogue(language).plural_forms == Catalog(locale=language).plural_forms
