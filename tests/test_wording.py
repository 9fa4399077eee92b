"""Every reason code has wording, in every front end's syntax, and the command line speaks its own."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from admin_commands.cli_texts import CLI
from bot import chat_texts
from bot.domain import pins, times
from bot.domain.pins import PinProblem
from bot.domain.rules import SCANNER_REASONS, ActionRefusal, Reason
from bot.domain.times import EventTimeError, TimeProblem
from bot.files import sheet_reader
from bot.services.errors import OrganiserError, Problem


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_verdict_an_attendee_can_get_has_a_reply():
    assert set(chat_texts.PIN_REPLIES) == set(Reason) - {Reason.UNDONE}


def test_every_verdict_a_scanner_can_get_has_a_card():
    assert set(chat_texts.SCAN_HEADS) == SCANNER_REASONS


def test_every_scanner_refusal_has_wording():
    assert set(chat_texts.SCAN_REFUSALS) == set(ActionRefusal)


def test_every_organiser_problem_has_wording():
    assert set(chat_texts.PROBLEMS) == set(Problem)


@pytest.mark.parametrize("problem", list(Problem))
@pytest.mark.parametrize("syntax", [chat_texts.CHAT, CLI], ids=["chat", "cli"])
def test_each_problem_is_worded_in_each_front_end_syntax(problem, syntax):
    syntax_names = set(vars(syntax))
    details = {name: "X1" for name in placeholders(chat_texts.PROBLEMS[problem]) - syntax_names}
    if "codes" in details:
        details["codes"] = ["SL404"]
    if problem is Problem.PIN_INVALID:
        details.update(pin="ab", why=PinProblem.BAD_LENGTH)
    text = chat_texts.problem_text(OrganiserError(problem, **details), syntax)
    assert text and "{" not in text
    if syntax is CLI:
        # The command line never asks the organiser to type a chat command (asking an
        # attendee to send /start to the bot is another matter).
        assert not re.search(r"(?<![\w@])/(?!start\b)[a-z]+", text), text


def test_the_command_line_names_its_own_commands():
    error = OrganiserError(Problem.UNKNOWN_SESSION, session_id="S9")
    assert chat_texts.problem_text(error, CLI) == "There is no session 'S9'. attendance-admin pins lists the sessions."
    assert chat_texts.problem_text(error) == "There is no session 'S9'. /pins lists the sessions."
    assert "attendance-admin capacity SESSION" in chat_texts.problem_text(OrganiserError(Problem.CAPACITY_VALUE), CLI)


def test_the_mini_app_words_every_verdict_and_refusal():
    from bot.web import page_texts

    assert set(page_texts.VERDICTS) == SCANNER_REASONS
    assert set(page_texts.REFUSALS) == set(ActionRefusal)


def test_the_domain_returns_codes_not_sentences():
    assert pins.pin_problem("") is PinProblem.EMPTY
    assert pins.pin_problem("ab12") is PinProblem.BAD_CHARACTERS
    assert pins.pin_problem("AB") is PinProblem.BAD_LENGTH
    assert pins.pin_problem("AB12") is None
    utc = ZoneInfo("UTC")
    for text, code in (
        ("tomorrow 9am", TimeProblem.NOT_A_DATE_TIME),
        ("2026-02-30 09:00", TimeProblem.NOT_A_REAL_DATE),
    ):
        with pytest.raises(EventTimeError) as caught:
            times.parse_event_time(f"  {text} ", utc)
        assert (caught.value.problem, caught.value.text) == (code, text)


def test_the_domain_translates_nothing():
    """bot/domain/ may ask Babel how a language writes dates, but it never words anything."""
    for path in Path("bot/domain").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.i18n":
                assert not {alias.name for alias in node.names} & {"_", "N_", "ngettext"}, path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in {"_", "N_"}:
                raise AssertionError(f"{path} words a sentence")


def test_every_pin_problem_has_wording():
    assert set(sheet_reader.PIN_PROBLEMS) == set(PinProblem)
    for problem in PinProblem:
        text = sheet_reader.pin_problem_text(problem, "ab")
        assert text and "{" not in text


def test_every_time_problem_has_wording():
    assert set(sheet_reader.TIME_PROBLEMS) == set(TimeProblem)
    for problem in TimeProblem:
        text = sheet_reader.time_problem_text(EventTimeError(problem, "31/02"))
        assert "31/02" in text and "{" not in text


def test_an_invalid_pin_is_worded_the_same_in_the_chat_the_command_line_and_a_file():
    error = OrganiserError(Problem.PIN_INVALID, pin="ab12", why=PinProblem.BAD_CHARACTERS)
    why = "PIN 'ab12' may contain only upper-case letters A-Z and digits 0-9"
    assert chat_texts.problem_text(error) == chat_texts.problem_text(error, CLI) == f"Not changed: {why}."
    assert sheet_reader.pin_problem_text(PinProblem.BAD_CHARACTERS, "ab12") == why
