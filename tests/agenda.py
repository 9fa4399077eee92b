"""Agendas on the day they are used: check-in windows take attempts only around a session's own times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def shifted_agenda(agenda: str, first_start: datetime) -> str:
    """`agenda` (a sessions CSV) with every date-time moved by the same amount, so that its first
    session starts at `first_start`'s wall-clock time; the gaps between sessions stay as they were."""
    shift = first_start.replace(tzinfo=None) - min(datetime.fromisoformat(t) for t in STAMP.findall(agenda))
    return STAMP.sub(lambda m: (datetime.fromisoformat(m.group(0)) + shift).strftime("%Y-%m-%d %H:%M"), agenda)


def running_now(tz: str, started_minutes_ago: int = 15) -> datetime:
    """A start a few minutes ago in the event's zone: the first session is running."""
    return datetime.now(ZoneInfo(tz)).replace(second=0, microsecond=0) - timedelta(minutes=started_minutes_ago)
