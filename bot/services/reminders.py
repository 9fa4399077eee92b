"""Reminders before sessions: an organiser opts in (`/reminders 10`), and each person who is expected at
a session gets "S12 · Keynote starts at 10:00 in Room A" once, in their own language, that many minutes
before it starts.

* **Who.** Attendees with Telegram linked who are registered for the session; with `/acl include`
  also those in one of its target groups (whom access control admits: the announcements' "registered"
  audience). Never someone who sent /mute. A reminder carries no PIN.
* **When.** Nothing sits queued early: a scheduler (`bot.telegram.reminders`) calls `queue_due` every
  few seconds, which queues the reminders whose time has come (the session starts within the set
  minutes) and whose session has not started. A bot that was down at that minute reminds late, as
  long as the session has not started; a reminder still waiting when its session starts is dropped
  (`outbox.expires_at`) and logged; a session that started while nobody could remind is logged.
* **Once.** A reminder's outbox key is (session, attendee, start time): asked again (every pass, a
  restart) it is not queued again; a session moved by an import gets one for its new time, and the
  waiting ones of its old time are dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import i18n
from bot.domain.rules import AclMode
from bot.domain.times import from_db, to_db
from bot.services import checkin, languages
from bot.services.context import AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem
from bot.storage import event_settings, outbox
from bot.storage import reminders as stored
from bot.storage.records import SessionRow
from bot.storage.sql import Conn

log = logging.getLogger(__name__)
MINUTES_KEY = "reminder_minutes"  # absent or "off": no reminders (the default)
CHECKED_KEY = "reminders_checked_at"  # the last pass of the scheduler
MAX_MINUTES = 24 * 60
# The words of a reminder, in the language in force: (session, event zone, now) -> text.
Wording = Callable[[SessionRow, ZoneInfo, datetime], str]


@dataclass(frozen=True)
class ReminderSetting:
    minutes: int | None  # None: off
    include_targets: bool  # targeted attendees are reminded too (/acl include)


@dataclass
class Pass:
    """What one pass of the scheduler did."""

    queued: int = 0
    moved: list[tuple[str, int]] = field(default_factory=list)  # (session, waiting reminders dropped)
    expired: list[tuple[str, int]] = field(default_factory=list)  # (session, dropped: it had started)
    missed: list[tuple[str, datetime, int]] = field(default_factory=list)  # (session, start, people)


def _setting(conn: Conn) -> ReminderSetting:
    stored_minutes = event_settings.get_setting(conn, MINUTES_KEY)
    minutes = int(stored_minutes) if stored_minutes and stored_minutes.isdigit() else None
    return ReminderSetting(minutes, checkin.acl_mode(conn) == AclMode.INCLUDE_TARGETS)


@reads
def get_setting(conn: Conn, ctx: AppContext) -> ReminderSetting:
    return _setting(conn)


@writes
def set_minutes(conn: Conn, ctx: AppContext, value: str) -> ReminderSetting:
    """`value`: minutes before a session starts (1 to 1440), or off."""
    value = value.strip().lower()
    if value == "off":
        event_settings.set_setting(conn, MINUTES_KEY, "off")
    elif re.fullmatch(r"[0-9]{1,5}", value) and 1 <= int(value) <= MAX_MINUTES:
        event_settings.set_setting(conn, MINUTES_KEY, str(int(value)))
    else:
        raise OrganiserError(Problem.REMINDER_MINUTES, value=value[:20])
    return _setting(conn)


@writes
def queue_due(conn: Conn, ctx: AppContext, wording: Wording) -> Pass:
    """One pass: drop what may no longer go out, queue every reminder whose time has come."""
    now = ctx.clock()
    result = Pass(moved=stored.drop_moved(conn, now))
    for broadcast_id, count in outbox.drop_expired(conn, now).items():
        result.expired.append((stored.session_of_broadcast(conn, broadcast_id) or "?", count))
    checked = event_settings.get_setting(conn, CHECKED_KEY)
    event_settings.set_setting(conn, CHECKED_KEY, to_db(now))
    setting = _setting(conn)
    if setting.minutes is None:
        return result
    ahead = timedelta(minutes=setting.minutes)
    if checked is not None:
        # Sessions whose whole reminder time (from `ahead` before the start to the start) fell between
        # the last pass and this one: the bot was not running.
        for session in stored.sessions_starting(conn, from_db(checked) + ahead, now):
            people = len(stored.recipients(conn, session.session_id, setting.include_targets))
            if people:
                result.missed.append((session.session_id, session.starts_at, people))
    for session in stored.sessions_starting(conn, now, now + ahead):
        due = stored.recipients(conn, session.session_id, setting.include_targets)
        if not due:
            continue
        planned = []
        for person in due:
            with i18n.speaking(languages.language_for(ctx, person.user_id, None)):
                text = wording(session, ctx.timezone, now)
            payload = {"method": "sendMessage", "params": {"chat_id": person.user_id, "text": text}}
            planned.append(
                outbox.Planned(person.user_id, payload, dedupe_key=person.dedupe_key, expires_at=session.starts_at)
            )
        result.queued += outbox.enqueue(conn, stored.broadcast_for(conn, session, now), planned, now)
    if result.queued:
        ctx.outbox_changed()
    return result
