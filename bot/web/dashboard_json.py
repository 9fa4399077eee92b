"""What the dashboard's script reads: the first view, one session, one person's day, as JSON.

Every time is written here, on the server, in the event's time zone and the reader's language
(`bot.domain.times`, CLDR through Babel): the page never formats a time itself, so a laptop set to
another zone still shows the event's clock. Numbers stay numbers: the page draws its charts from
them (inline SVG, `static/dashboard.js`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot import i18n
from bot.domain import visits
from bot.domain.times import format_clock, format_local, format_span
from bot.services.dashboard import BUCKET, Overview, SessionDetail, SessionView, Status
from bot.services.reports import AttendeeLookup
from bot.web import page_texts


@lru_cache(maxsize=8192)
def clock(moment: datetime, tz: ZoneInfo, language: str) -> str:
    """ "09:05" as `language` writes it, in the event's zone (every dashboard asks the same ones)."""
    with i18n.speaking(language):
        return format_local(moment, tz, with_date=False)


@lru_cache(maxsize=1024)
def span(starts: datetime, ends: datetime, tz: ZoneInfo, language: str) -> str:
    with i18n.speaking(language):
        return format_span(starts, ends, tz)


def _when(starts: datetime, ends: datetime, day, tz: ZoneInfo, language: str) -> str:
    """ "09:00–09:45" for a session of the day shown, with its dates otherwise."""
    if starts.astimezone(tz).date() == day == ends.astimezone(tz).date():
        return f"{clock(starts, tz, language)}–{clock(ends, tz, language)}"
    return span(starts, ends, tz, language)


def _rate(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


class OverviewText(NamedTuple):
    """The first view's JSON in pieces: everything but the session rows (`head`, an object left
    open), and each row's text by session id, so a stream can push only the rows that changed."""

    head: str
    ids: tuple[str, ...]
    rows: tuple[str, ...]

    def whole(self) -> str:
        """The first view with every row (`data`, and the first push of a stream)."""
        return self.push(self.rows, self.ids)

    def push(self, rows: Iterable[str], order: tuple[str, ...] | None) -> str:
        """The view with only `rows`: `sessions` holds the rows to place, `order` (when given) every
        session of the view by id, in order (the page drops the rows it no longer names)."""
        listed = f', "order": {json.dumps(order, ensure_ascii=False)}' if order is not None else ""
        return f'{self.head}, "sessions": [{",".join(rows)}]{listed}}}'


class SessionRows:
    """Each session row's JSON text, kept while its `SessionView` is the same object (the service
    keeps a session's view until something it shows moves) and the day, the sparkline's "now" and
    the language are the same: a view computes again only the rows that moved."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], tuple[SessionView, tuple, str]] = {}

    def text(self, v: SessionView, view: Overview, tz: ZoneInfo, language: str) -> str:
        made_of = (view.day, (view.now - v.spark_start) // BUCKET, tz)
        key = (v.session.session_id, language)
        kept = self.kept.get(key)
        if kept is not None and kept[0] is v and kept[1] == made_of:
            return kept[2]
        text = json.dumps(_session_row(v, view, tz, language), ensure_ascii=False)
        self.kept[key] = (v, made_of, text)
        return text


def _session_row(v: SessionView, view: Overview, tz: ZoneInfo, language: str) -> dict:
    s, n = v.session, v.numbers
    started = v.status in (Status.RUNNING, Status.CLOSED)
    return {
        "id": s.session_id,
        "title": s.title,
        "room": s.room,
        "when": _when(s.starts_at, s.ends_at, view.day, tz, language),
        "status": v.status.value,
        "inside": n.inside,
        "capacity": s.capacity,
        "arrived": n.arrived,
        "expected": n.expected,
        "expected_arrived": n.expected_arrived,
        "showup": _rate(n.expected_arrived, n.expected) if started else None,
        "no_shows": n.expected - n.expected_arrived if started else None,
        "spark": v.spark,
        "spark_now": (view.now - v.spark_start) // BUCKET,
    }


@lru_cache(maxsize=64)
def _day(day: date, language: str) -> str:
    with i18n.speaking(language):
        return format_skeleton("yMMMEd", datetime.combine(day, time()), locale=i18n.babel_locale())


def overview_json(view: Overview, tz: ZoneInfo, rows: SessionRows | None = None) -> OverviewText:
    """The first view in the current language; `rows` keeps the session rows' texts between views."""
    language = i18n.current()
    rows = rows if rows is not None else SessionRows()
    labels = [clock(view.chart_start + i * BUCKET, tz, language) for i in range(len(view.arrivals))]
    now_index = min(max((view.now - view.chart_start) // BUCKET, -1), len(view.arrivals) - 1)
    t = view.totals
    head = json.dumps(
        {
            "updated": format_clock(view.now, tz),
            "day": _day(view.day, language),
            "totals": {
                "people": t.people_arrived,
                "expected": t.expected,
                "expected_arrived": t.expected_arrived,
                "showup": _rate(t.expected_arrived, t.expected),
                "inside": t.inside_now,
                "checkins_15": view.recent.checkins,
                "refusals_15": view.recent.refusals,
                "reasons_15": [{"reason": reason, "count": count} for reason, count in view.recent.reasons],
            },
            "chart": {
                "labels": labels,
                "hours": [i for i in range(len(labels)) if (view.chart_start + i * BUCKET).astimezone(tz).minute == 0],
                "arrivals": view.arrivals,
                "inside": view.inside,
                "now": now_index,
            },
            "refusals": [
                {
                    "at": clock(r.at, tz, language),
                    "session": r.session_id,
                    "who": r.attendee,
                    "method": r.method,
                    "reason": r.reason,
                }
                for r in view.refusals
            ],
        },
        ensure_ascii=False,
    )
    return OverviewText(
        head[:-1],
        tuple(v.session.session_id for v in view.sessions),
        tuple(rows.text(v, view, tz, language) for v in view.sessions),
    )


def session_json(detail: SessionDetail, tz: ZoneInfo) -> str:
    language = i18n.current()
    s = detail.session
    return json.dumps(
        {
            "id": s.session_id,
            "title": s.title,
            "room": s.room,
            "when": span(s.starts_at, s.ends_at, tz, language),
            "status": detail.status.value,
            "capacity": s.capacity,
            "inside": [
                {"id": p.attendee_id, "name": p.name, "since": clock(p.since, tz, language)} for p in detail.inside
            ],
            "no_shows": [
                {"id": p.attendee_id, "name": p.name, "registered": p.registered, "targeted": p.targeted}
                for p in detail.no_shows
            ],
            "refusals": [
                {
                    "at": clock(r.at, tz, language),
                    "id": r.attendee_id,
                    "who": r.name,
                    "method": r.method,
                    "reason": r.reason,
                }
                for r in detail.refusals
            ],
        },
        ensure_ascii=False,
    )


def ended_text(visit: visits.Visit) -> str:
    """How a visit ended, in the current language (the rule is `bot.domain.visits`)."""
    w = page_texts.DASHBOARD_PAGE
    if visit.moved_to:
        return i18n._(w["ended_moved"]).format(session=visit.moved_to)
    key = {visits.OUT_PIN: "ended_out_pin", visits.SESSION_END: "ended_session_end"}.get(visit.ended_by, "ended_open")
    return i18n._(w[key])


def person_json(lookup: AttendeeLookup, tz: ZoneInfo) -> str:
    """One person's day (the facts the chat's /attendee gives), or the candidates when several match."""
    if lookup.summary is None:
        return json.dumps(
            {
                "found": "many",
                "more": lookup.more,
                "candidates": [{"id": a.attendee_id, "name": a.name} for a in lookup.candidates],
            },
            ensure_ascii=False,
        )
    summary, language = lookup.summary, i18n.current()
    a = summary.attendee
    titles = {s.session_id.upper(): s.title for s in summary.registered}
    titles.update({s.session_id.upper(): s.title for s in summary.attended})
    return json.dumps(
        {
            "found": "one",
            "id": a.attendee_id,
            "name": a.name,
            "email": a.email,
            "walk_in": a.walk_in,
            "groups": summary.groups,
            "telegram": bool(a.telegram_user_id),
            "registered": [
                {"id": s.session_id, "title": s.title, "when": span(s.starts_at, s.ends_at, tz, language)}
                for s in summary.registered
            ],
            "visits": [
                {
                    "session": v.session_id,
                    "title": titles.get(v.session_id.upper(), ""),
                    "from": format_local(v.start, tz),
                    "to": clock(v.end, tz, language) if v.end else None,
                    "ended": v.ended_by.split(" ")[0],
                    "ended_text": ended_text(v),
                    "check_out": clock(v.check_out, tz, language) if v.check_out else None,
                }
                for v in summary.visits
            ],
        },
        ensure_ascii=False,
    )
