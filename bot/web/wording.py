"""Every sentence the scanner Mini App shows, keyed by the same codes as the chat's (`bot.texts`).

The page is a front end of its own: its cards are read at arm's length at a
door, so they are short; the API sends them with each answer, and the page
shows them as they come (names and session titles are data, never translated).
"""

from __future__ import annotations

from bot.domain.rules import ActionRefusal, Reason

# The big word on the card, and the line under it.
VERDICTS = {
    Reason.OK: "Checked in",
    Reason.ALREADY_CHECKED_IN: "Already checked in",
    Reason.NOT_REGISTERED: "Not registered for this session",
    Reason.SESSION_FULL: "Session full",
    Reason.TOO_EARLY: "Too early: check-in opens at {window_at}",
    Reason.CLOSED: "Check-in closed at {window_at}",
    Reason.INVALID_CODE: "Not a badge of this event",
    Reason.REVOKED: "Revoked badge: a newer one was issued",
    Reason.SCANNER_NOT_PERMITTED: "You may not scan for this session",
}
ADMITTED_ANYWAY = "Admitted anyway"

REFUSALS = {
    ActionRefusal.NOT_SCANNER: "You are not a door scanner for this event. Ask an organiser.",
    ActionRefusal.NO_SESSION_CHOSEN: "Choose a session first.",
    ActionRefusal.UNKNOWN_SESSION: "There is no such session.",
    ActionRefusal.SCANNER_NOT_PERMITTED: "You may not scan for this session.",
    ActionRefusal.NOT_OVERRIDABLE: "This verdict cannot be overridden.",
    ActionRefusal.ALREADY_OVERRIDDEN: "Already admitted.",
    ActionRefusal.CANNOT_UNDO: "You can only undo your own check-ins.",
    ActionRefusal.UNDO_TOO_LATE: "Too late to undo: scans can be undone within 15 minutes.",
    ActionRefusal.ALREADY_UNDONE: "Already undone.",
}

# What the page says when a request itself is refused (no verdict).
ERRORS = {
    400: "The scanner sent something the server cannot read. Reload the page.",
    401: "This scanner page has expired or was not opened from Telegram. Close it and open it again from /scan.",
    403: "You may not scan here. Ask an organiser.",
    404: "Not found.",
    405: "Not allowed.",
    409: "That is not possible any more.",
    429: "Too many requests at once: wait a moment.",
    500: "Something went wrong on the server. Try again in a moment.",
}


def undone(name: str) -> str:
    return f"Undone: {name} is no longer checked in"
