"""The records the storage modules return: plain frozen dataclasses, built from rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.times import from_db


@dataclass(frozen=True)
class AttendeeRow:
    attendee_id: str
    name: str
    email: str
    telegram_hint: str | None
    telegram_user_id: int | None
    invite_token: str
    badge_version: int
    walk_in: bool


@dataclass(frozen=True)
class SessionRow:
    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    capacity: int | None
    access_control: bool
    checkin_opens: datetime | None = None  # the session's own window; None: the event-wide default
    checkin_closes: datetime | None = None
    pin_rotation_seconds: int | None = None  # the IN PIN rotates every so many seconds; None: a fixed PIN


@dataclass(frozen=True)
class LogEntry:
    at: datetime
    direction: str
    method: str
    accepted: bool
    reason: str
    attendee_id: str | None = None
    session_id: str | None = None
    override: bool = False
    registered: bool | None = None
    targeted: bool | None = None
    actor_user_id: int | None = None
    scanner_user_id: int | None = None
    ref_id: int | None = None
    update_id: int | None = None
    item: int = 0
    detail: str = ""
    source: str = "chat"  # or "miniapp"
    request_id: str | None = None  # a Mini App request's own id (retries are recognised by it)


@dataclass(frozen=True)
class LogRow(LogEntry):
    id: int = 0


def attendee_record(row) -> AttendeeRow | None:
    if row is None:
        return None
    return AttendeeRow(
        row["attendee_id"],
        row["name"],
        row["email"],
        row["telegram_hint"],
        row["telegram_user_id"],
        row["invite_token"],
        row["badge_version"],
        bool(row["walk_in"]),
    )


def session_record(row) -> SessionRow | None:
    if row is None:
        return None
    return SessionRow(
        row["session_id"],
        row["title"],
        from_db(row["starts_at"]),
        from_db(row["ends_at"]),
        row["room"],
        row["capacity"],
        bool(row["access_control"]),
        from_db(row["checkin_opens"]) if row["checkin_opens"] else None,
        from_db(row["checkin_closes"]) if row["checkin_closes"] else None,
        row["pin_rotation_seconds"],
    )


def log_record(row) -> LogRow:
    return LogRow(
        id=row["id"],
        at=from_db(row["at"]),
        direction=row["direction"],
        method=row["method"],
        accepted=bool(row["accepted"]),
        reason=row["reason"],
        attendee_id=row["attendee_id"],
        session_id=row["session_id"],
        override=bool(row["override"]),
        registered=None if row["registered"] is None else bool(row["registered"]),
        targeted=None if row["targeted"] is None else bool(row["targeted"]),
        actor_user_id=row["actor_user_id"],
        scanner_user_id=row["scanner_user_id"],
        ref_id=row["ref_id"],
        update_id=row["update_id"],
        item=row["item"],
        detail=row["detail"],
        source=row["source"],
        request_id=row["request_id"],
    )
