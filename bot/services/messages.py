"""Plain text from anyone: a code typed at a door while scanning, or a PIN.

One use case (one transaction) decides which and does it, so a PIN check-in
costs a single trip to the database thread even though the sender might be a
door scanner.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import pins
from bot.domain.rules import Method
from bot.services import attendance, scanning
from bot.services.attendance import AttemptResult, PinOutcome
from bot.services.context import AppContext, Person, writes
from bot.storage import scanner_assignments
from bot.storage.sql import Conn


@dataclass(frozen=True)
class TextOutcome:
    """Exactly one of: `scan_results` (a scanner typed a code), `pin` (a PIN
    attempt), or neither (text that is not a PIN)."""

    scan_results: list[AttemptResult] | None = None
    pin: PinOutcome | None = None


@writes
def handle_text(conn: Conn, ctx: AppContext, person: Person, text: str, update_id: int | None = None) -> TextOutcome:
    scanner = scanner_assignments.get_scanner(conn, person.user_id)
    if scanner is not None and scanner.current_session_id is not None:
        results = attendance.replayed_results(conn, ctx, update_id) or scanning.judge_codes(
            conn, ctx, person, scanner, [text.strip()], Method.MANUAL, update_id
        )
        return TextOutcome(scan_results=results)
    if not pins.looks_like_pin(text):
        return TextOutcome()
    return TextOutcome(pin=attendance.pin_attempt(conn, ctx, person, text, update_id))
