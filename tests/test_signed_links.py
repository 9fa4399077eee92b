"""The signed-link format of room displays and dashboards (`bot.domain.signed_links`)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.domain import signed_links
from bot.domain.signed_links import DASHBOARD, DISPLAY, LinkProblem, SignedLinkError

SECRET, OTHER_SECRET = "a" * 32, "b" * 32
EXPIRES, NOW = 1_780_000_000, 1_779_990_000.5


def problem_of(kind, token, secret=SECRET, now=NOW) -> LinkProblem:
    with pytest.raises(SignedLinkError) as caught:
        signed_links.verify(kind, secret, token, now)
    return caught.value.problem


def test_a_link_reads_back_what_was_signed():
    token = signed_links.make(DISPLAY, SECRET, EXPIRES, "S12")
    read = signed_links.verify(DISPLAY, SECRET, token, NOW)
    assert (read.subject, read.expires) == ("S12", EXPIRES)
    assert signed_links.read(DISPLAY, token) == read
    dashboard = signed_links.make(DASHBOARD, SECRET, EXPIRES)
    assert signed_links.verify(DASHBOARD, SECRET, dashboard, NOW).subject is None


def test_the_format_of_links_already_given_out_is_kept():
    """Links printed or open on a screen before the format moved here still open."""
    display_sig = hmac.new(SECRET.encode(), f"S12.{EXPIRES}".encode(), hashlib.sha256).hexdigest()[:32]
    assert signed_links.make(DISPLAY, SECRET, EXPIRES, "s12") == f"s12.{EXPIRES}.{display_sig}"
    dashboard_sig = hmac.new(SECRET.encode(), f"dashboard.{EXPIRES}".encode(), hashlib.sha256).hexdigest()[:32]
    assert signed_links.make(DASHBOARD, SECRET, EXPIRES) == f"{EXPIRES}.{dashboard_sig}"


def test_a_session_id_with_dots_is_read_whole():
    token = signed_links.make(DISPLAY, SECRET, EXPIRES, "day1.S.2")
    assert signed_links.verify(DISPLAY, SECRET, token, NOW).subject == "day1.S.2"


def test_forged_or_revoked_links_are_refused():
    token = signed_links.make(DISPLAY, SECRET, EXPIRES, "S12")
    subject, expires, signature = token.split(".")
    flipped = f"{subject}.{expires}.{'0' if signature[0] != '0' else '1'}{signature[1:]}"
    assert problem_of(DISPLAY, flipped) is LinkProblem.FORGED
    assert problem_of(DISPLAY, f"{subject}.{int(expires) + 86400}.{signature}") is LinkProblem.FORGED
    assert problem_of(DISPLAY, token, secret=OTHER_SECRET) is LinkProblem.FORGED  # revoked: a new secret


def test_a_link_for_another_subject_is_refused():
    token = signed_links.make(DISPLAY, SECRET, EXPIRES, "S12")
    assert problem_of(DISPLAY, "S13" + token.removeprefix("S12")) is LinkProblem.FORGED


def test_an_expired_link_is_refused_after_its_signature_is_checked():
    token = signed_links.make(DASHBOARD, SECRET, EXPIRES)
    assert signed_links.verify(DASHBOARD, SECRET, token, EXPIRES).expires == EXPIRES  # valid to its last second
    assert problem_of(DASHBOARD, token, now=EXPIRES + 1) is LinkProblem.EXPIRED
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert problem_of(DASHBOARD, forged, now=EXPIRES + 1) is LinkProblem.FORGED


@pytest.mark.parametrize(
    "token",
    ["", ".", "S12", "S12.", "S12.123", "S12.x.y", "S12.123.abc", "12.34", "S12..0123456789abcdef0123456789abcdef"],
)
def test_truncated_or_malformed_tokens_are_refused(token):
    assert problem_of(DISPLAY, token) is LinkProblem.MALFORMED


def test_truncated_tokens_of_a_real_link_are_refused():
    token = signed_links.make(DISPLAY, SECRET, EXPIRES, "S12")
    for end in range(len(token)):
        with pytest.raises(SignedLinkError):
            signed_links.verify(DISPLAY, SECRET, token[:end], NOW)


@pytest.mark.parametrize(
    "odd",
    [
        f"S12.{EXPIRES}.{'A' * 32}",  # upper-case hex: not what we make
        f"S12.{'١٢٣'}.{'a' * 32}",  # digits of another script
        f"S12.{'9' * 13}.{'a' * 32}",  # an expiry too long to be one
        f"S 12.{EXPIRES}.{'a' * 32}",
        f"S12.{EXPIRES}.{'a' * 32}\n",
    ],
)
def test_odd_characters_are_malformed_not_an_error(odd):
    assert problem_of(DISPLAY, odd) is LinkProblem.MALFORMED


def test_another_kinds_token_is_refused():
    display = signed_links.make(DISPLAY, SECRET, EXPIRES, "S12")
    dashboard = signed_links.make(DASHBOARD, SECRET, EXPIRES)
    assert problem_of(DASHBOARD, display) is LinkProblem.MALFORMED
    assert problem_of(DISPLAY, dashboard) is LinkProblem.MALFORMED
    # Even under the same secret, a display of a session called DASHBOARD is not a dashboard link.
    lookalike = signed_links.make(DISPLAY, SECRET, EXPIRES, "DASHBOARD")
    assert problem_of(DASHBOARD, lookalike.removeprefix("DASHBOARD.")) is LinkProblem.FORGED


def test_a_subject_is_required_exactly_when_the_kind_names_one():
    with pytest.raises(ValueError):
        signed_links.make(DISPLAY, SECRET, EXPIRES)
    with pytest.raises(ValueError):
        signed_links.make(DASHBOARD, SECRET, EXPIRES, "S12")
    with pytest.raises(ValueError):
        signed_links.make(DISPLAY, SECRET, EXPIRES, "S/12")  # could not be read back


def test_a_display_token_names_its_session_for_the_web_front_end():
    from bot.services import displays

    assert displays.session_of(signed_links.make(DISPLAY, SECRET, EXPIRES, "S12")) == "S12"
    assert displays.session_of("S12") is None
    assert displays.session_of(signed_links.make(DASHBOARD, SECRET, EXPIRES)) is None
