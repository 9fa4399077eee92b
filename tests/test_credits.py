"""Credits: the rule (pure, property-tested), the sessions file's credits and credit_rule columns,
the event's rule (/credits and its twin), the credits report row by row, and /myattendance.

The event (Europe/Paris, so 08:30 UTC is 10:30): S12 10:30-11:30 carries 1.5 credits under the
event's rule; S13 12:00-13:00 carries 2 credits under its own proportional rule; S14 carries none.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from admin_commands.__main__ import build_parser
from bot.domain.credits import (
    DEFAULT_RULE,
    CreditError,
    CreditProblem,
    CreditRule,
    RuleKind,
    WhyNot,
    award,
    parse_credits,
    parse_rule,
)
from bot.services import credits, reports
from tests.credit_event import SESSIONS, attended, pin_at, upload
from tests.harness import ORGANISER, User

# ---------------------------------------------------------------- the rule, pure

quarters = st.integers(min_value=0, max_value=400).map(lambda q: Decimal(q) / 4)
minutes = st.floats(min_value=0, max_value=600, allow_nan=False)
lengths = st.floats(min_value=1, max_value=600, allow_nan=False)
rules = st.one_of(
    st.just(CreditRule(RuleKind.PROPORTIONAL)),
    st.integers(min_value=1, max_value=100).map(lambda p: CreditRule(RuleKind.THRESHOLD, p)),
)


@given(quarters, minutes, lengths, rules)
def test_never_more_than_the_session_carries(worth, attended, length, rule):
    got = award(worth, attended, length, rule)
    assert Decimal(0) <= got.credits <= worth
    assert 0 <= got.share <= 1
    assert (got.why_not is None) == (got.credits > 0) or worth == 0


@given(quarters, minutes, minutes, lengths, rules)
def test_more_minutes_never_earn_less(worth, a, b, length, rule):
    fewer, more = sorted((a, b))
    assert award(worth, fewer, length, rule).credits <= award(worth, more, length, rule).credits


@given(quarters, minutes, lengths, st.integers(min_value=1, max_value=100))
def test_a_threshold_gives_all_or_nothing(worth, attended, length, percent):
    got = award(worth, attended, length, CreditRule(RuleKind.THRESHOLD, percent))
    assert got.credits in (Decimal(0), worth)
    earned = attended > 0 and Fraction(attended) * 100 >= percent * Fraction(length)
    assert (got.why_not is None) == earned and got.credits == (worth if earned else 0)


@given(quarters, minutes, lengths)
def test_proportional_credits_come_in_quarters(worth, attended, length):
    got = award(worth, attended, length, CreditRule(RuleKind.PROPORTIONAL))
    assert (got.credits * 4) == int(got.credits * 4)
    assert worth * Decimal(min(attended / length, 1)) - got.credits < Decimal("0.25")


def test_the_edges_of_the_rule():
    assert award(Decimal("1.5"), 48, 60, DEFAULT_RULE).credits == Decimal("1.5")  # exactly 80 %
    assert award(Decimal("1.5"), 47.9, 60, DEFAULT_RULE).why_not is WhyNot.BELOW_THRESHOLD
    assert award(Decimal("1.5"), 0, 60, DEFAULT_RULE).why_not is WhyNot.NOT_ATTENDED
    assert award(Decimal(2), 40, 60, parse_rule("proportional")).credits == Decimal("1.25")  # 1.33 rounded down
    assert award(Decimal(1), 10, 60, parse_rule("proportional")).why_not is WhyNot.UNDER_A_QUARTER
    assert award(Decimal(1), 90, 60, parse_rule("proportional")).share == 1.0


@pytest.mark.parametrize(
    ("cell", "worth"), [("1.5", "1.5"), ("1,25", "1.25"), ("", "0"), ("2", "2"), (0.75, "0.75"), (3, "3")]
)
def test_credits_cells(cell, worth):
    assert parse_credits(cell) == Decimal(worth)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("one", CreditProblem.NOT_A_NUMBER),
        ("-1", CreditProblem.NEGATIVE),
        ("1.1", CreditProblem.NOT_A_QUARTER),
        ("1.333", CreditProblem.NOT_A_QUARTER),
        ("101", CreditProblem.TOO_MANY),
    ],
)
def test_credits_cells_refused(cell, problem):
    with pytest.raises(CreditError) as refused:
        parse_credits(cell)
    assert refused.value.problem is problem


def test_rules_as_written():
    assert parse_rule("threshold") == DEFAULT_RULE == CreditRule(RuleKind.THRESHOLD, 80)
    assert parse_rule("Threshold 75%") == CreditRule(RuleKind.THRESHOLD, 75)
    assert str(parse_rule("threshold 60")) == "threshold 60"
    for bad in ("threshold 0", "threshold 101", "half", "threshold eighty", "proportional 50"):
        with pytest.raises(CreditError):
            parse_rule(bad)


# ---------------------------------------------------------------- the event


@pytest.fixture
async def bot(credits_event):
    return credits_event


async def test_the_sessions_file_sets_credits_and_rules(bot):
    rows = await bot.rows("SELECT session_id, credits, credit_rule FROM sessions ORDER BY session_id")
    assert rows == [("S12", 1.5, None), ("S13", 2.0, "proportional"), ("S14", 0.0, None)]
    # A file without the columns keeps them.
    assert (await upload(bot, SESSIONS.replace(",credits,credit_rule", "").replace(",1.5,", ""), "s.csv")) != ""
    kept = "session_id,title,starts_at,ends_at\nS12,Keynote,2026-05-14 10:30,2026-05-14 11:30\n"
    assert (await upload(bot, kept, "s.csv")).startswith("✅")
    assert await bot.rows("SELECT credits FROM sessions WHERE session_id = 'S12'") == [(1.5,)]


async def test_bad_credits_and_rules_are_reported_by_row(bot):
    bad = """session_id,title,starts_at,ends_at,credits,credit_rule
S20,A,2026-05-14 10:30,2026-05-14 11:30,1.1,
S21,B,2026-05-14 10:30,2026-05-14 11:30,-2,
S22,C,2026-05-14 10:30,2026-05-14 11:30,lots,
S23,D,2026-05-14 10:30,2026-05-14 11:30,1,threshold 120
S24,E,2026-05-14 10:30,2026-05-14 11:30,1,threshold 50
"""
    reply = await upload(bot, bad, "bad.csv")
    assert "nothing was imported" in reply
    assert "Row 2: credits '1.1' should be in quarter steps" in reply
    assert "Row 3: credits '-2' cannot be negative" in reply
    assert "Row 4: credits 'lots' is not a number like 1.5" in reply
    assert "Row 5: credit_rule 'threshold 120' should be threshold" in reply
    assert "Row 6" not in reply
    assert await bot.rows("SELECT count(*) FROM sessions WHERE session_id >= 'S20'") == [(0,)]


async def test_the_event_rule_is_set_and_shown(bot):
    assert "at least 80% of it" in await bot.reply_text(ORGANISER, "/credits")
    assert "Usage: /credits threshold 80" in await bot.reply_text(ORGANISER, "/credits")
    assert "times the share of it attended" in await bot.reply_text(ORGANISER, "/credits proportional")
    assert await credits.get_rule(bot.ctx) == CreditRule(RuleKind.PROPORTIONAL)
    assert "at least 60% of it" in await bot.reply_text(ORGANISER, "/credits threshold 60")
    refused = await bot.reply_text(ORGANISER, "/credits half")
    assert refused.startswith("'half' is not a credit rule. Usage: /credits")
    assert await credits.get_rule(bot.ctx) == CreditRule(RuleKind.THRESHOLD, 60)
    assert "organisers only" in await bot.reply_text(User(501), "/credits proportional")


def test_the_command_line_twins():
    args = build_parser().parse_args(["credits", "threshold", "70"])
    assert args.rule == ["threshold", "70"]
    assert build_parser().parse_args(["report", "credits", "-o", "credits.xlsx"]).kind == "credits"


async def test_credited_sessions_of_one_attendee(bot):
    await attended(bot)
    lines = await credits.credited_sessions(bot.ctx, "A1")
    assert [(x.session_id, round(x.minutes), x.credits, x.why_not) for x in lines] == [
        ("S12", 50, Decimal("1.5"), None),
        ("S13", 40, Decimal("1.25"), None),
    ]
    (keynote,) = await credits.credited_sessions(bot.ctx, "A2")
    assert (keynote.share, keynote.credits, keynote.why_not) == (0.5, 0, WhyNot.BELOW_THRESHOLD)
    await bot.reply_text(ORGANISER, "/credits proportional")
    (keynote,) = await credits.credited_sessions(bot.ctx, "A2")
    assert keynote.credits == Decimal("0.75")
    assert await credits.credited_sessions(bot.ctx, "A4") == []


async def test_a_session_not_yet_ended_earns_nothing_yet(bot):
    await pin_at(bot, 501, 8, 30, "KEYIN12")
    bot.clock.now = datetime(2026, 5, 14, 9, 29, tzinfo=UTC)
    (keynote,) = await credits.credited_sessions(bot.ctx, "A1")
    assert (keynote.credits, keynote.why_not) == (0, WhyNot.NOT_ENDED)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_the_credits_report_row_by_row(bot):
    await attended(bot)
    report = await reports.build_report(bot.ctx, "credits", "xlsx")
    assert report.filename.startswith("credits-") and report.rows == 4
    book = load_workbook(io.BytesIO(report.data))
    assert book.sheetnames == ["Credits", "Credit totals"]
    lines = list(book["Credits"].iter_rows(values_only=True))
    assert lines[0] == (
        "Attendee id",
        "Name",
        "Session id",
        "Title",
        "Session start (Europe/Paris, UTC+02:00)",
        "Minutes attended",
        "Share attended (%)",
        "Session credits",
        "Credit rule",
        "Credits awarded",
        "Why none",
    )
    start = datetime(2026, 5, 14, 10, 30)
    below_80 = "attended less than 80% of the session"
    assert lines[1:] == [
        ("A1", "Anna Albers", "S12", "Keynote", start, 50, 83, 1.5, "threshold 80", 1.5, None),
        ("A1", "Anna Albers", "S13", "Workshop", datetime(2026, 5, 14, 12), 40, 66, 2, "proportional", 1.25, None),
        ("A2", "Ben Brook", "S12", "Keynote", start, 30, 50, 1.5, "threshold 80", 0, below_80),
        ("A3", "Carl Cole", "S12", "Keynote", start, 0, 0, 1.5, "threshold 80", 0, "not attended"),
    ]
    totals = list(book["Credit totals"].iter_rows(values_only=True))
    assert totals == [
        ("Attendee id", "Name", "Sessions credited", "Total credits"),
        ("A1", "Anna Albers", 2, 2.75),
        ("A2", "Ben Brook", 0, 0),
        ("A3", "Carl Cole", 0, 0),
    ]
    as_csv = await reports.build_report(bot.ctx, "credits", "csv")
    first = ["A1", "Anna Albers", "S12", "Keynote", "2026-05-14 10:30:00", "50", "83", "1.5", "threshold 80"]
    assert csv_rows(as_csv.data)[1] == [*first, "1.5", ""]


async def test_the_report_command_and_its_headers_in_german(bot):
    await attended(bot)
    calls = await bot.send(ORGANISER, "/report credits")
    name, _data = calls[-1].file()
    assert name.startswith("credits-") and name.endswith(".xlsx")
    assert calls[-1].text.startswith("Credits: 4 rows.") and "total is on the second sheet" in calls[-1].text
    german = User(ORGANISER.id, "Olga", "olga_org", language_code="de")
    calls = await bot.send(german, "/report credits csv")
    header = csv_rows(calls[-1].file()[1])[0]
    assert header[:2] == ["Teilnehmenden-ID", "Name"] and "Vergebene Credits" in header


async def test_my_attendance_shows_minutes_credits_and_the_total(bot):
    await attended(bot)
    reply = await bot.reply_text(User(501), "/myattendance")
    assert "• S12 · Keynote — 50 min — 1.5 of 1.5 credits" in reply
    assert "• S13 · Workshop — 40 min — 1.25 of 2 credits" in reply
    assert reply.endswith("Total: 2.75 credits")
    reply = await bot.reply_text(User(502), "/myattendance")
    assert "• S12 · Keynote — 30 min — no credits of 1.5 (attended less than 80% of the session)" in reply
    assert reply.endswith("Total: 0 credits")
    reply = await bot.reply_text(User(503), "/myattendance")
    assert reply.startswith("Sessions that have ended:") and "(not attended)" in reply
