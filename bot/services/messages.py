"""Plain text from anyone: a code typed at a door while scanning, or a PIN.

One use case (one transaction) decides which and takes it through the check-in pipeline, so
a PIN check-in costs a single trip to the database thread even though the sender might be a
door scanner.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import pins
from bot.domain.rules import Method
from bot.services import checkin
from bot.services.attendance import PinEntry
from bot.services.checkin import CheckinOutcome, RequestKey
from bot.services.context import AppContext, Person, writes
from bot.services.scanning import BadgeCodes
from bot.storage import scanner_assignments
from bot.storage.sql import Conn


@dataclass(frozen=True)
class TextOutcome:
    """Exactly one of: `scan` (a scanner typed a code), `pin` (a PIN attempt), or neither
    (text that is not a PIN)."""

    scan: CheckinOutcome | None = None
    pin: CheckinOutcome | None = None


@writes
def handle_text(conn: Conn, ctx: AppContext, person: Person, text: str, key: RequestKey) -> TextOutcome:
    scanner = scanner_assignments.get_scanner(conn, person.user_id)
    if scanner is not None and scanner.current_session_id is not None:
        request = BadgeCodes((text.strip(),), Method.MANUAL)
        return TextOutcome(scan=checkin.run(conn, ctx, person, request, key))
    if not pins.looks_like_pin(text):
        return TextOutcome()
    return TextOutcome(pin=checkin.run(conn, ctx, person, PinEntry(text), key))
