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
