"""Time conversions: UTC in the database, the event's time zone on screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot import i18n

DB_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_EVENT_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def to_db(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(DB_FORMAT)


def from_db(text: str) -> datetime:
    # fromisoformat reads the trailing Z (Python 3.11+) and is far cheaper than strptime.
    return datetime.fromisoformat(text)


class TimeProblem(StrEnum):
    """Why a cell is not an event time; worded by `bot.files.sheet_reader.time_problem_text`."""

    NOT_A_DATE_TIME = "not_a_date_time"  # not written like 2026-05-14 09:30
    NOT_A_REAL_DATE = "not_a_real_date"  # written so, but no such moment (2026-02-30, 25:00)


class EventTimeError(Exception):
    """A cell that is not an event time: `problem` says why, `text` is the cell as read.

    Not a ValueError on purpose: a caller that forgets to word it fails loudly
    instead of showing the organiser a code."""

    def __init__(self, problem: TimeProblem, text: str) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.text = text


def parse_event_time(value: object, tz: ZoneInfo) -> datetime:
    """A start/end time from an import file: `YYYY-MM-DD HH:MM` in the event's
    zone, optionally with seconds, a `T` and an offset; or a real date-time cell.
    Raises EventTimeError with a `TimeProblem` code and the cell's text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value
    text = str(value).strip()
    if not _EVENT_TIME_RE.match(text):
        raise EventTimeError(TimeProblem.NOT_A_DATE_TIME, text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventTimeError(TimeProblem.NOT_A_REAL_DATE, text) from None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def format_local(moment: datetime, tz: ZoneInfo, with_date: bool = True) -> str:
    """A moment in the event's zone, written as the reader's language writes it
    (CLDR patterns through Babel): "Wed 2 Dec, 10:02", "Mi., 2. Dez., 10:02",
    "mer. 2 déc., 10:02"; only "10:02" without the date."""
    shown = moment.astimezone(tz)
    locale = i18n.babel_locale()
    time = format_skeleton("Hm", shown, locale=locale)
    if not with_date:
        return time
    return f"{format_skeleton('MMMEd', shown, locale=locale)}, {time}"


def format_clock(moment: datetime, tz: ZoneInfo) -> str:
    """The time of day to the second in the event's zone ("10:02:07"), as a page's live clock shows it."""
    return format_skeleton("Hms", moment.astimezone(tz), locale=i18n.babel_locale())


def format_span(starts: datetime, ends: datetime, tz: ZoneInfo) -> str:
    """ "Thu 11 Jun, 09:00–09:45" (the end's date too when it is another day)."""
    same_day = starts.astimezone(tz).date() == ends.astimezone(tz).date()
    return f"{format_local(starts, tz)}–{format_local(ends, tz, with_date=not same_day)}"
