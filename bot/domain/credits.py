"""Credits: how much of a session's credits an attendee earned (the README's "Credits").

A session carries credits (a multiple of a quarter, 0 for none). A rule turns the minutes
attended into credits:

* `threshold N`: the session's whole credits when at least N % of it was attended, else none;
* `proportional`: the credits times the share attended, rounded down to a quarter.

The event has one rule (`threshold 80` by default); a session's own rule overrides it. Pure:
codes, never sentences.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

QUARTER = Decimal("0.25")
MAX_CREDITS = Decimal(100)
DEFAULT_PERCENT = 80


class RuleKind(StrEnum):
    THRESHOLD = "threshold"
    PROPORTIONAL = "proportional"


@dataclass(frozen=True)
class CreditRule:
    kind: RuleKind
    percent: int = DEFAULT_PERCENT  # threshold only: the share of the session to attend, 1 to 100

    def __str__(self) -> str:
        return f"threshold {self.percent}" if self.kind is RuleKind.THRESHOLD else "proportional"


DEFAULT_RULE = CreditRule(RuleKind.THRESHOLD)


class WhyNot(StrEnum):
    """Why an attendee earned no credits at a session."""

    NOT_ATTENDED = "not_attended"  # no minute on record
    BELOW_THRESHOLD = "below_threshold"  # threshold: attended less than the share needed
    UNDER_A_QUARTER = "under_a_quarter"  # proportional: the share earned less than a quarter credit
    NOT_ENDED = "not_ended"  # the session has not ended yet (decided by the caller, not by `award`)


@dataclass(frozen=True)
class Award:
    credits: Decimal
    share: float  # of the session attended, 0 to 1
    why_not: WhyNot | None  # None when credits were awarded


class CreditProblem(StrEnum):
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    NOT_A_QUARTER = "not_a_quarter"
    TOO_MANY = "too_many"
    BAD_RULE = "bad_rule"


class CreditError(ValueError):
    def __init__(self, problem: CreditProblem, text: str) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.text = text


def parse_credits(value: object) -> Decimal:
    """A `credits` cell: a number of credits in quarter steps (`1.5`, `0.75`; a decimal comma
    is read too: `1,5`), 0 to 100; blank is 0. XLSX numbers are taken as they are."""
    text = "" if value is None else str(value).strip()
    if not text:
        return Decimal(0)
    if isinstance(value, float):
        number = Decimal(repr(value))
    else:
        if not re.fullmatch(r"[+-]?[0-9]*[.,]?[0-9]+|[+-]?[0-9]+[.,]?", text):
            raise CreditError(CreditProblem.NOT_A_NUMBER, text)
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern lets through numbers only
            raise CreditError(CreditProblem.NOT_A_NUMBER, text) from None
    if number < 0:
        raise CreditError(CreditProblem.NEGATIVE, text)
    if number > MAX_CREDITS:
        raise CreditError(CreditProblem.TOO_MANY, text)
    if number % QUARTER:
        raise CreditError(CreditProblem.NOT_A_QUARTER, text)
    return plain(number)


def plain(number: Decimal) -> Decimal:
    """`1.50` as `1.5`, `2.00` as `2`, never `1E+1`."""
    return Decimal(f"{number.normalize():f}")


def parse_rule(text: str) -> CreditRule:
    """`threshold 80`, `threshold` (80 %), `threshold 80%` or `proportional`, in any case."""
    words = text.strip().lower().replace("%", " ").split()
    if words == ["proportional"]:
        return CreditRule(RuleKind.PROPORTIONAL)
    if words == ["threshold"]:
        return DEFAULT_RULE
    percent = int(words[1]) if len(words) == 2 and re.fullmatch(r"[0-9]{1,3}", words[1]) else 0
    if words[:1] == ["threshold"] and 1 <= percent <= 100:
        return CreditRule(RuleKind.THRESHOLD, percent)
    raise CreditError(CreditProblem.BAD_RULE, text.strip())


def award(credits: Decimal, attended_minutes: float, session_minutes: float, rule: CreditRule) -> Award:
    """What `attended_minutes` of a `session_minutes` session carrying `credits` earn under `rule`.

    The share is capped at 1; a session of no length counts as wholly attended by anyone who
    attended a moment of it. Exact arithmetic (fractions), so 48 of 60 minutes is 80 %."""
    attended = Fraction(max(attended_minutes, 0.0))
    length = Fraction(max(session_minutes, 0.0))
    if attended <= 0:
        share = Fraction(0)
    elif length <= 0:
        share = Fraction(1)
    else:
        share = min(attended / length, Fraction(1))
    if attended <= 0:
        return Award(Decimal(0), float(share), WhyNot.NOT_ATTENDED)
    if rule.kind is RuleKind.THRESHOLD:
        if share * 100 >= rule.percent:
            return Award(plain(credits), float(share), None)
        return Award(Decimal(0), float(share), WhyNot.BELOW_THRESHOLD)
    quarters = math.floor(Fraction(credits) * 4 * share)
    if quarters <= 0:
        return Award(Decimal(0), float(share), WhyNot.UNDER_A_QUARTER)
    return Award(plain(Decimal(quarters) * QUARTER), float(share), None)


def percent_of(share: float) -> int:
    """The share as whole percent, rounded down (79.9 % is 79 %: a threshold of 80 is not met)."""
    return math.floor(round(share * 100, 6))
