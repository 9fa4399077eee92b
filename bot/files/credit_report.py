"""The credits report's sheets (`/report credits`): one row per attendee and session carrying
credits, then each attendee's total; and the wording of why no credits were awarded, which the
chat (`/myattendance`) shares.

The rows are `bot.services.credits.AttendeeCredits`-like: `attendee_id`, `name` and `lines`, each
line with `session_id`, `title`, `starts_at`, `minutes`, `share`, `credits`, `why_not`,
`available` and `rule`. Headers and reasons follow the current language (`bot.i18n`); ids,
names, titles and rules (`threshold 80`, as the sessions file writes them) are never translated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_percent

from bot import i18n
from bot.domain.credits import WhyNot, percent_of
from bot.files.report_writer import local_time
from bot.files.spreadsheet import Column, Sheet, sheet_title
from bot.i18n import N_, _

WHY_NOT = {
    # Translators: why an attendee earned no credits at a session.
    WhyNot.NOT_ATTENDED: N_("not attended"),
    # Translators: why an attendee earned no credits at a session; {percent} is the share needed, e.g. "80 %".
    WhyNot.BELOW_THRESHOLD: N_("attended less than {percent} of the session"),
    # Translators: why an attendee earned no credits at a session (credits are counted in quarters).
    WhyNot.UNDER_A_QUARTER: N_("attended too little for a quarter credit"),
    # Translators: why an attendee earned no credits at a session: it is still running or to come.
    WhyNot.NOT_ENDED: N_("the session has not ended yet"),
}


def why_not_text(line) -> str:
    """Why a line earned no credits, worded; '' when it earned some."""
    if line.why_not is None:
        return ""
    percent = int(line.rule.split()[-1]) if line.rule.startswith("threshold") else 0
    return _(WHY_NOT[line.why_not]).format(percent=percent_text(percent))


def percent_text(percent: int) -> str:
    """80 as the current language writes a percentage: 80 %, 80%."""
    return format_percent(percent / 100, locale=i18n.babel_locale())


def whole_minutes(minutes: float) -> int:
    """Minutes as shown: whole minutes, rounded down (like the share)."""
    return math.floor(round(minutes, 6))


def number(value: Decimal) -> int | float:
    """A quarter-step Decimal as a spreadsheet number (quarters are exact in binary)."""
    return int(value) if value == int(value) else float(value)


def credit_lines_sheet(people: Iterable, tz: ZoneInfo, offsets: str) -> Sheet:
    columns = [
        Column(_("Attendee id"), 14),
        Column(_("Name"), 28),
        Column(_("Session id"), 12),
        Column(_("Title"), 36),
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Session start ({zone})").format(zone=offsets), 22),
        Column(_("Minutes attended"), 12),
        # Translators: a report's column header: the share of the session attended, in percent.
        Column(_("Share attended (%)"), 12),
        # Translators: a report's column header: the credits a session carries.
        Column(_("Session credits"), 12),
        # Translators: a report's column header: how the credits were counted (threshold 80, proportional).
        Column(_("Credit rule"), 14),
        # Translators: a report's column header: the credits the attendee earned at the session.
        Column(_("Credits awarded"), 12),
        # Translators: a report's column header: why the attendee earned no credits at the session.
        Column(_("Why none"), 34),
    ]
    cells = (
        [
            person.attendee_id,
            person.name,
            line.session_id,
            line.title,
            local_time(line.starts_at, tz),
            whole_minutes(line.minutes),
            percent_of(line.share),
            number(line.available),
            line.rule,
            number(line.credits),
            why_not_text(line),
        ]
        for person in people
        for line in person.lines
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Credits")), columns, cells)


def credit_totals_sheet(people: Iterable) -> Sheet:
    columns = [
        Column(_("Attendee id"), 14),
        Column(_("Name"), 28),
        # Translators: a report's column header: how many sessions earned the attendee credits.
        Column(_("Sessions credited"), 12),
        # Translators: a report's column header: all the credits the attendee earned.
        Column(_("Total credits"), 12),
    ]
    cells = (
        [
            person.attendee_id,
            person.name,
            sum(1 for line in person.lines if line.credits > 0),
            number(sum((line.credits for line in person.lines), Decimal(0))),
        ]
        for person in people
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Credit totals")), columns, cells)
