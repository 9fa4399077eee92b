"""What the attendance reports hold: their sheets, columns and cells (docs/product.md, section 4);
`bot.files.spreadsheet` turns a sheet into XLSX or CSV bytes, escaping every text cell.

Rows are consumed as they come (every sheet is a generator), so a report costs
memory for one chunk, not for the whole event.

Times are shown in the event's time zone. XLSX cannot hold an aware
date-time, so cells hold the local wall time and the header names the zone
and its UTC offset ("Check-in time (Europe/Paris, UTC+02:00)"); when an event
spans a daylight-saving change the header names the zone alone, which says
both offsets.

Column headers, sheet names, the yes/no cells and notes follow the current
language (`bot.i18n`): the organiser who asked, or the dashboard's language.
The data (names, titles, ids, method and reason codes) is never translated.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.domain.report_rows import CheckinRow, Movement, RefusedRow, VisitRow
from bot.files.spreadsheet import Column, Sheet, sheet_title
from bot.i18n import N_, _

# Translators: a note in the check-outs report: the person left without a check-in on record.
NOTE_NO_CHECK_IN = N_("check-out without check-in")


# ---------------------------------------------------------------- times


def offset_label(tz: ZoneInfo, start: datetime, end: datetime) -> str:
    """The UTC offset(s) of `tz` between two instants, e.g. 'UTC+02:00'.

    Sampled twice a day: offsets change at most twice a year, so no change
    between samples can go unseen."""
    offsets: list[timedelta] = []
    moment = start
    while True:
        offset = moment.astimezone(tz).utcoffset()
        if offset not in offsets:
            offsets.append(offset)
        if moment >= end:
            break
        moment = min(moment + timedelta(hours=12), end)
    return "/".join(_format_offset(o) for o in sorted(offsets))


def time_label(tz: ZoneInfo, offsets: str) -> str:
    """What column headers say about their times: the zone, and its offset when there is one."""
    return tz.key if "/UTC" in offsets else f"{tz.key}, {offsets}"


def _format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _who_where(r, tz: ZoneInfo) -> list:
    """The cells both reports start with: the session, its start, and the attendee."""
    return [r.session_id, r.title, local_time(r.session_start, tz), r.attendee_id, r.name, r.email]


def local_time(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Naive local wall time to the second: what a spreadsheet cell can hold."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)


def _yes(flag: bool) -> str:
    # Translators: a cell in a report (registered, targeted, override: yes or no).
    return _("yes") if flag else _("no")


# ---------------------------------------------------------------- check-ins


def _person_at_session_columns(offsets: str) -> list[Column]:
    """The columns both reports start with: the session, the person, and when they came in."""
    return [
        # Translators: a report's column header.
        Column(_("Session id"), 12),
        # Translators: a report's column header: the session's title.
        Column(_("Title"), 36),
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Session start ({zone})").format(zone=offsets), 22),
        # Translators: a report's column header.
        Column(_("Attendee id"), 14),
        # Translators: a report's column header: the attendee's name.
        Column(_("Name"), 28),
        # Translators: a report's column header.
        Column(_("Email"), 30),
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Check-in time ({zone})").format(zone=offsets), 22),
    ]


def checkins_sheet(rows: Iterable[CheckinRow], tz: ZoneInfo, offsets: str) -> Sheet:
    columns = [
        *_person_at_session_columns(offsets),
        # Translators: a report's column header: how the person checked in (PIN, scan, …).
        Column(_("Method"), 11),
        # Translators: a report's column header: who scanned the badge at the door.
        Column(_("Scanner"), 26),
        # Translators: a report's column header: whether the person was registered for the session.
        Column(_("Registered"), 11),
        # Translators: a report's column header: whether the session was aimed at the person's group.
        Column(_("Targeted"), 10),
        # Translators: a report's column header: whether door staff let the person in despite a refusal.
        Column(_("Override"), 10),
    ]
    cells = (
        [
            *_who_where(r, tz),
            local_time(r.at, tz),
            r.method,
            r.scanner,
            _yes(r.registered),
            _yes(r.targeted),
            _yes(r.override),
        ]
        for r in rows
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Check-ins")), columns, cells)


# ---------------------------------------------------------------- check-outs


class Visit(NamedTuple):
    """One stay in a room as the organiser's /attendee view pairs it; either end may be missing
    (never checked out, or checked out with no check-in on record). The check-outs report's
    visits, which end by themselves, are `bot.domain.visits`'."""

    check_in: datetime | None
    check_out: datetime | None

    @property
    def complete(self) -> bool:
        return self.check_in is not None and self.check_out is not None


def pair_visits(movements: Iterable[Movement]) -> list[Visit]:
    """Pair one person's check-ins with their check-outs at one session, in log order.

    An IN while already inside (possible after an undo) keeps the earlier
    arrival; an OUT with nobody inside is a visit without a check-in."""
    visits: list[Visit] = []
    arrived: datetime | None = None
    for m in movements:
        if m.direction == "IN":
            arrived = arrived or m.at
        elif arrived is not None:
            visits.append(Visit(arrived, m.at))
            arrived = None
        else:
            visits.append(Visit(None, m.at))
    if arrived is not None:
        visits.append(Visit(arrived, None))
    return visits


def _whole(minutes: float | None) -> int | None:
    return None if minutes is None else round(minutes)


def checkouts_sheet(rows: Iterable[VisitRow], tz: ZoneInfo, offsets: str) -> Sheet:
    """One row per visit (`bot.domain.visits`), and one per check-out without a check-in."""
    columns = [
        *_person_at_session_columns(offsets),
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Check-out time ({zone})").format(zone=offsets), 22),
        # Translators: a report's column header: when the visit ended (check-out, another room, the
        # session's end); {zone} is the time zone.
        Column(_("Visit ended ({zone})").format(zone=offsets), 22),
        # Translators: a report's column header: how the visit ended; the cells are codes
        # (out_pin, moved_to S13, session_end, open).
        Column(_("Ended by"), 16),
        # Translators: a report's column header: minutes of this visit inside the session's own start and end.
        Column(_("Minutes attended"), 12),
        # Translators: a report's column header: the person's minutes at the session over every visit, overlaps once.
        Column(_("Session total (minutes)"), 12),
        # Translators: a report's column header.
        Column(_("Note"), 30),
    ]
    cells = (
        [
            *_who_where(r, tz),
            local_time(r.check_in, tz),
            local_time(r.check_out, tz),
            local_time(r.ended, tz),
            r.ended_by,
            _whole(r.minutes),
            _whole(r.total),
            _(NOTE_NO_CHECK_IN) if r.stray else "",
        ]
        for r in rows
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Check-outs")), columns, cells)


# ---------------------------------------------------------------- refused attempts


def refused_sheet(rows: Iterable[RefusedRow], tz: ZoneInfo, offsets: str) -> Sheet:
    columns = [
        # Translators: a report's column header; {zone} is the time zone, e.g. "Europe/Paris, UTC+02:00".
        Column(_("Time ({zone})").format(zone=offsets), 22),
        Column(_("Session id"), 12),
        Column(_("Title"), 30),
        Column(_("Attendee id"), 14),
        Column(_("Name"), 28),
        # Translators: a report's column header: in or out.
        Column(_("Direction"), 10),
        Column(_("Method"), 11),
        # Translators: a report's column header: why the attempt was refused.
        Column(_("Reason"), 24),
        Column(_("Scanner"), 26),
        # Translators: a report's column header: whether door staff let the person in after all.
        Column(_("Overridden"), 11),
        # Translators: a report's column header: more about the attempt (e.g. the code that was scanned).
        Column(_("Detail"), 20),
    ]
    cells = (
        [
            local_time(r.at, tz),
            r.session_id,
            r.title,
            r.attendee_id,
            r.name,
            r.direction,
            r.method,
            r.reason,
            r.scanner,
            _yes(r.overridden),
            r.detail,
        ]
        for r in rows
    )
    # Translators: the name of a spreadsheet's sheet: at most 31 characters, none of \ / * ? : [ ].
    return Sheet(sheet_title(_("Refused attempts")), columns, cells)
