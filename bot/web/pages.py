"""The web pages' HTML, rendered by the server in the reader's language (`bot.web.page_texts` says which).

The pages are tornado templates in `static/`: their labels are filled in from a
dictionary of words, escaped, and the same words go into the page as JSON
(`<script id="words" type="application/json">`) for its script, which holds no
wording of its own. `<html lang>` names the language, so the browser hyphenates
and reads the page aloud in it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import tornado.escape
import tornado.template

from bot import i18n
from bot.web import page_texts
from bot.web.security import PLAIN_STYLE


@cache
def _template(name: str) -> tornado.template.Template:
    text = (resources.files("bot.web") / "static" / name).read_text("utf-8")
    return tornado.template.Template(text, name=name, autoescape="xhtml_escape")


def render(name: str, words: dict, **values: object) -> bytes:
    """The page `static/<name>` in the current language, with `words` as its labels and script words."""
    return _template(name).generate(lang=i18n.current(), w=words, words_json=page_texts.script_json(words), **values)


def plain_page(title: str, heading: str, text: str, font_size: int = 24) -> str:
    """A page with nothing but a sentence (a refused link), in the current language: in 24 px letters
    (a screen across a room), or 20 px (`font_size` below 24). Its one style block is allowed by its
    hash in the Content-Security-Policy (`bot.web.security`), which refuses a `style` attribute."""
    escape = tornado.escape.xhtml_escape
    size = ' class="small"' if font_size < 24 else ""
    return (
        f'<!doctype html><html lang="{i18n.current()}"><meta charset="utf-8"><title>{escape(title)}</title>\n'
        f"<style>{PLAIN_STYLE}</style>\n"
        f"<body{size}>\n<h1>{escape(heading)}</h1>\n<p>{escape(text)}</p></body></html>"
    )


def not_available(status: int) -> str:
    """What a page says, instead of a stack trace, when it cannot be shown."""
    sentence = i18n._(page_texts.NOT_AVAILABLE).format(status=status)
    return f'<!doctype html><html lang="{i18n.current()}"><title>{status}</title><p>{sentence}</p>'
