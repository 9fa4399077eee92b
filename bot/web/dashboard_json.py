"""What the dashboard's script reads: the first view, one session, one person's day, as JSON.

Every time is written here, on the server, in the event's time zone and the reader's language
(`bot.domain.times`, CLDR through Babel): the page never formats a time itself, so a laptop set to
another zone still shows the event's clock. Numbers stay numbers: the page draws its charts from
them (inline SVG, `static/dashboard.js`).
"""

from __future__ import annotations

import json
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot import i18n
from bot.domain import visits
from bot.domain.times import format_clock, format_local, format_span
from bot.services.dashboard import BUCKET, Overview, SessionDetail, Status
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


def overview_json(view: Overview, tz: ZoneInfo) -> str:
    """The first view in the current language."""
    language = i18n.current()
    labels = [clock(view.chart_start + i * BUCKET, tz, language) for i in range(len(view.arrivals))]
    now_index = min(max((view.now - view.chart_start) // BUCKET, -1), len(view.arrivals) - 1)
    t = view.totals
    sessions = []
    for v in view.sessions:
        s, n = v.session, v.numbers
        started = v.status in (Status.RUNNING, Status.CLOSED)
        sessions.append(
            {
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
        )
    return json.dumps(
        {
            "updated": format_clock(view.now, tz),
            "day": format_skeleton("yMMMEd", datetime.combine(view.day, time()), locale=i18n.babel_locale()),
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
            "sessions": sessions,
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
