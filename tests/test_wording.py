"""Every reason code has wording, in every front end's syntax, and the command line speaks its own."""

from __future__ import annotations

import re
import string

import pytest

from admin_commands.cli_texts import CLI
from bot import chat_texts
from bot.domain.rules import SCANNER_REASONS, ActionRefusal, Reason
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
