"""The rows reports are made of: the storage layer reads them, the file writers lay them out.

Kept in the domain so that `bot.files` (bytes in, bytes out) never imports the storage layer.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class CheckinRow(NamedTuple):
    session_id: str
    title: str
    session_start: datetime
    attendee_id: str
    name: str
    email: str
    at: datetime
    method: str
    scanner: str
    registered: bool
    targeted: bool
    override: bool


class Movement(NamedTuple):
    """One effective check-in or check-out, with who and where."""

    session_id: str
    title: str
    session_start: datetime
    attendee_id: str
    name: str
    email: str
    direction: str
    at: datetime


class RefusedRow(NamedTuple):
    at: datetime
    session_id: str | None
    title: str | None
    attendee_id: str | None
    name: str | None
    direction: str
    method: str
    reason: str
    scanner: str
    overridden: bool
    detail: str


class VisitRow(NamedTuple):
    """One visit of one person at one session in the check-outs report, or one stray check-out
    (an OUT without an IN: `check_in` None, `stray` True, nothing counted)."""

    session_id: str
    title: str
    session_start: datetime
    attendee_id: str
    name: str
    email: str
    check_in: datetime | None
    check_out: datetime | None  # when the OUT PIN was sent, if it was
    ended: datetime | None  # when the visit ended; None while open (and for a stray check-out)
    ended_by: str  # bot.domain.visits: out_pin, moved_to <session id>, session_end, open ("" when stray)
    minutes: float | None  # this visit's minutes inside the session; None while open or stray
    total: float | None  # the person's minutes at the session, overlaps once; None while a visit is open
    stray: bool = False
