"""Attendees' own check-ins: a PIN (typed, or from a room display's QR code) and an onsite shortlink,
and `/start` with whatever its payload turns out to be.

Both methods are requests for the one check-in pipeline (`bot.services.checkin`): here is only
what is their own, who may ask (an attendee, linked or created by `people.identify`) and what
the PIN or the code names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import pins
from bot.domain.rules import Attempt, Direction, Method
from bot.services import checkin, people
from bot.services.checkin import Asker, CheckinOutcome, NotDone, Planned, RequestKey, pin_lock
from bot.services.context import AppContext, Person, writes
from bot.services.people import identify
from bot.storage import agenda, shortlink_codes
from bot.storage.records import SessionRow
from bot.storage.sql import Conn


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    direction: str
    method: str
    session: SessionRow


class _AttendeeRequest:
    """Attendees' methods: whoever sends it must be (or become) an attendee."""

    def allowed(self, conn: Conn, ctx: AppContext, person: Person) -> Asker | NotDone:
        attendee = identify(conn, ctx, person)
        return NotDone.NOT_ON_LIST if attendee is None else Asker(person, attendee=attendee)

    def popup(self, conn: Conn) -> str:
        return ""


@dataclass(frozen=True)
class PinEntry(_AttendeeRequest):
    """A PIN sent by an attendee: the IN PIN checks in, the OUT PIN checks out.

    Wrong PINs are counted per Telegram account from the log itself, so the
    limit survives restarts and needs no separate state.
    """

    text: str

    def look_up(self, conn: Conn, ctx: AppContext, asker: Asker) -> list[Planned]:
        pin = pins.normalise_input(self.text)
        now = ctx.clock()
        locked = pin_lock(conn, ctx, asker.person.user_id, now)
        found = expired = None
        if not locked:
            found = agenda.session_for_pin(conn, pin)
            if found is None:
                found, expired = _rotating_pin_session(conn, pin, now)
        attempt = Attempt(
            Direction(found[1]) if found else Direction.IN,
            Method.PIN,
            pin_locked_until=locked,
            pin_known=found is not None,
            pin_expired=expired is not None,
        )
        session = found[0] if found else expired
        return [Planned(attempt, asker.attendee, session, detail="" if found else pin)]


def _rotating_pin_session(
    conn: Conn, pin: str, now: datetime
) -> tuple[tuple[SessionRow, str] | None, SessionRow | None]:
    """(the session whose rotating IN PIN this is now, with "IN"), or (None, the session whose
    rotating PIN it was a while ago), or (None, None)."""
    expired = None
    for session, secret in agenda.rotating_sessions(conn):
        age = pins.rotating_pin_age(pin, secret, session.pin_rotation_seconds, now)
        if age is pins.PinAge.CURRENT:
            return (session, "IN"), None
        if age is pins.PinAge.EXPIRED:
            expired = session
    return None, expired


@dataclass(frozen=True)
class ShortlinkTap(_AttendeeRequest):
    """`https://t.me/<bot>?start=<code>` opened from an onsite QR code: check in.

    A shortlink only ever checks in (like a badge scan); leaving needs the OUT PIN.
    Codes are compared without regard to case, like every id of the event.
    """

    code: str

    def look_up(self, conn: Conn, ctx: AppContext, asker: Asker) -> list[Planned] | NotDone:
        link = shortlink_codes.get(conn, self.code.upper())
        if link is None:  # removed since the organiser's check in `start`
            return NotDone.UNKNOWN_SHORTLINK
        session = agenda.get_session(conn, link.session_id)
        return [Planned(Attempt(Direction.IN, Method.SHORTLINK), asker.attendee, session, detail=link.code)]

    def popup(self, conn: Conn) -> str:
        link = shortlink_codes.get(conn, self.code.upper())
        return link.popup if link else ""


@dataclass(frozen=True)
class StartOutcome:
    """What `/start <payload>` turned out to be: a check-in (a room display's PIN, a known
    shortlink), or a welcome (`people.start`: plain, or through a personal invite)."""

    checkin: CheckinOutcome | None = None
    method: Method | None = None  # the check-in's method: its reply differs
    welcome: people.StartOutcome | None = None


@writes
def start(conn: Conn, ctx: AppContext, person: Person, payload: str | None, key: RequestKey) -> StartOutcome:
    """`/start`, with its deep-link payload if any, as one use case (one transaction).

    `pin-K7PX3M` is a room display's PIN; a payload naming a shortlink (`SL001`, any case) is
    an onsite QR code; anything else is an invite token (older ones may start with "sl").
    """
    if payload and payload.lower().startswith(pins.DEEP_LINK_PREFIX):
        request = PinEntry(payload[len(pins.DEEP_LINK_PREFIX) :])
        return StartOutcome(checkin.run(conn, ctx, person, request, key), Method.PIN)
    if payload and payload[:2].upper() == "SL" and shortlink_codes.get(conn, payload.upper()) is not None:
        return StartOutcome(checkin.run(conn, ctx, person, ShortlinkTap(payload), key), Method.SHORTLINK)
    return StartOutcome(welcome=people.welcome(conn, ctx, person, payload))
