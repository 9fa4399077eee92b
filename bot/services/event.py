"""The event itself, for organisers: its time zone and the default check-in window.

Both live in the event database (`settings` table), so every run of the bot
and of the command line sees the same event, whatever its environment says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.rules import Direction, Window, WindowSettings, attendance_window
from bot.services.context import TIMEZONE_KEY, AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem
from bot.storage import agenda, event_settings
from bot.storage.records import SessionRow
from bot.storage.sql import Conn

WINDOW_KEY = "checkin_window"
MAX_WINDOW_MINUTES = 7 * 24 * 60


def window_settings_of(stored: str | None) -> WindowSettings:
    """The stored default window ("opens_before,closes_after,checkout_after" in minutes), or the product's default."""
    if not stored:
        return WindowSettings()
    opens, closes, checkout = (timedelta(minutes=int(part)) for part in stored.split(","))
    return WindowSettings(opens, closes, checkout)


def stored_window_settings(conn: Conn) -> WindowSettings:
    return window_settings_of(event_settings.get_setting(conn, WINDOW_KEY))


def session_window(session: SessionRow, direction: Direction, defaults: WindowSettings) -> Window:
    """When `session` takes attempts in `direction`: its own times, else the event's defaults."""
    return attendance_window(
        direction, session.starts_at, session.ends_at, defaults, session.checkin_opens, session.checkin_closes
    )


@reads
def get_window_settings(conn: Conn, ctx: AppContext) -> WindowSettings:
    return stored_window_settings(conn)


@writes
def set_window_settings(
    conn: Conn, ctx: AppContext, opens_before: str, closes_after: str, checkout_after: str | None = None
) -> WindowSettings:
    """Event-wide defaults, in minutes: check-ins open `opens_before` the start and close
    `closes_after` the end; check-outs are taken until `checkout_after` the end (kept if not given)."""
    current = window_settings_of(event_settings.get_setting(conn, WINDOW_KEY))
    given = [opens_before, closes_after, checkout_after]
    minutes = []
    for value, now in zip(given, (current.opens_before, current.closes_after, current.checkout_after), strict=True):
        if value is None:
            minutes.append(int(now.total_seconds() // 60))
            continue
        value = value.strip()
        if not re.fullmatch(r"[0-9]{1,5}", value) or int(value) > MAX_WINDOW_MINUTES:
            raise OrganiserError(Problem.WINDOW_VALUE, value=value[:20])
        minutes.append(int(value))
    event_settings.set_setting(conn, WINDOW_KEY, ",".join(str(m) for m in minutes))
    return window_settings_of(event_settings.get_setting(conn, WINDOW_KEY))


@dataclass(frozen=True)
class TimezoneChange:
    old: str
    new: str
    sessions_moved: int


async def change_timezone(ctx: AppContext, name: str) -> TimezoneChange:
    """Change the event's time zone, keeping every session's wall-clock times.

    Session times came from the agenda as local times of the event's zone, so
    a wrong zone means they were read wrongly: 09:00 stays 09:00, now in the
    new zone. Attendance times are real instants and do not move; they are
    only shown in the new zone. A running bot shows the new zone at once (once committed).
    """
    change = await _change_timezone(ctx, name)
    ctx.timezone = ZoneInfo(change.new)
    return change


@writes
def _change_timezone(conn: Conn, ctx: AppContext, name: str) -> TimezoneChange:
    try:
        new = ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a directory of zones
        raise OrganiserError(Problem.UNKNOWN_TIMEZONE, name=name) from None
    old = ZoneInfo(event_settings.get_setting(conn, TIMEZONE_KEY) or "UTC")
    moved = 0
    if new.key != old.key:
        for session in agenda.all_sessions(conn):
            times = {
                "starts_at": session.starts_at,
                "ends_at": session.ends_at,
                "checkin_opens": session.checkin_opens,
                "checkin_closes": session.checkin_closes,
            }
            agenda.shift_session_times(
                conn,
                session.session_id,
                {k: v.astimezone(old).replace(tzinfo=new) if v else None for k, v in times.items()},
            )
            moved += 1
        event_settings.set_setting(conn, TIMEZONE_KEY, new.key)
    return TimezoneChange(old.key, new.key, moved)


async def refresh_timezone(ctx: AppContext) -> ZoneInfo:
    """The event's zone as its database says now (the command line may have changed it while the bot runs)."""
    ctx.timezone = await _stored_timezone(ctx)
    return ctx.timezone


@reads
def _stored_timezone(conn: Conn, ctx: AppContext) -> ZoneInfo:
    return ZoneInfo(event_settings.get_setting(conn, TIMEZONE_KEY) or "UTC")
