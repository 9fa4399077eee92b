"""Becoming a known attendee (docs/product.md, section 2), and the organiser's side of it: invite links, unlinking.

Every attendee action starts with `identify`, so an imported attendee whose
`@username` or id was in the import is recognised on their first message, even
if they never pressed Start, and a walk-in is created under open registration.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import badges
from bot.domain import pins as pin_rules
from bot.files.spreadsheet import csv_bytes
from bot.services.context import AppContext, Person, reads, writes
from bot.services.errors import OrganiserError, Problem, require_attendee
from bot.storage import attendees
from bot.storage.records import AttendeeRow
from bot.storage.sql import Conn


def new_invite_token() -> str:
    """16 url-safe characters: a valid deep-link payload, not guessable. Never
    starting with `SL` in any case, which marks a shortlink code in `/start` payloads."""
    while True:
        token = secrets.token_urlsafe(12)
        if token[:2].upper() != "SL" and not token.lower().startswith(pin_rules.DEEP_LINK_PREFIX):
            return token


def walk_in_id(user_id: int) -> str:
    return f"TG-{user_id}"


def identify(conn: Conn, ctx: AppContext, person: Person) -> AttendeeRow | None:
    """The attendee behind a Telegram user, linking or creating one when the rules allow."""
    now = ctx.clock()
    attendees.touch_telegram_user(conn, person.user_id, person.username, person.first_name, person.last_name, now)
    attendee = attendees.attendee_for_user(conn, person.user_id)
    if attendee is not None and not attendee.walk_in:
        return attendee
    imported = attendees.unlinked_attendee_for_hint(conn, person.user_id, person.username)
    if imported is not None:
        # An organiser imported this person after they had started as a walk-in:
        # the imported record (with registrations) wins.
        attendees.link_user(conn, imported.attendee_id, person.user_id)
        return attendees.get_attendee(conn, imported.attendee_id)
    if attendee is not None:
        return attendee
    if not ctx.settings.open_registration:
        return None
    return attendees.create_walk_in(
        conn, walk_in_id(person.user_id), person.display_name, person.user_id, new_invite_token(), now
    )


class StartKind(StrEnum):
    WELCOME = "welcome"  # known attendee (imported, auto-linked or walk-in)
    LINKED = "linked"  # invite link used just now
    INVITE_TAKEN = "invite_taken"  # invite already linked to another account
    INVITE_UNKNOWN = "invite_unknown"
    NOT_ON_LIST = "not_on_list"  # closed registration, unknown person


@dataclass(frozen=True)
class StartOutcome:
    kind: StartKind
    attendee: AttendeeRow | None


@writes
def start(conn: Conn, ctx: AppContext, person: Person, invite_token: str | None) -> StartOutcome:
    """`/start`, optionally with an invite token from a personal link (`welcome` as a use case;
    the chat's `/start` goes through `attendance.start`, which also knows check-in payloads)."""
    return welcome(conn, ctx, person, invite_token)


def welcome(conn: Conn, ctx: AppContext, person: Person, invite_token: str | None) -> StartOutcome:
    """Welcome someone, linking their account when they come with an invite token.

    An invite links one Telegram account only: a second account trying it is
    refused, and the organiser can unlink (`/unlink`) to let a new one in.
    """
    if not invite_token:
        attendee = identify(conn, ctx, person)
        return StartOutcome(StartKind.WELCOME if attendee else StartKind.NOT_ON_LIST, attendee)
    attendees.touch_telegram_user(
        conn, person.user_id, person.username, person.first_name, person.last_name, ctx.clock()
    )
    invited = attendees.attendee_for_invite(conn, invite_token)
    if invited is None:
        return StartOutcome(StartKind.INVITE_UNKNOWN, attendees.attendee_for_user(conn, person.user_id))
    if invited.telegram_user_id not in (None, person.user_id):
        return StartOutcome(StartKind.INVITE_TAKEN, attendees.attendee_for_user(conn, person.user_id))
    attendees.link_user(conn, invited.attendee_id, person.user_id)
    return StartOutcome(StartKind.LINKED, attendees.get_attendee(conn, invited.attendee_id))


@dataclass(frozen=True)
class OwnBadge:
    attendee_id: str
    name: str
    token: str


@writes
def own_badge(conn: Conn, ctx: AppContext, person: Person) -> OwnBadge | None:
    attendee = identify(conn, ctx, person)
    if attendee is None:
        return None
    return OwnBadge(
        attendee.attendee_id,
        attendee.name,
        badges.make_token(ctx.badge_secret, attendee.attendee_id, attendee.badge_version),
    )


# ---------------------------------------------------------------- organisers: finding attendees and invites


@dataclass(frozen=True)
class AttendeeLine:
    attendee_id: str
    name: str
    groups: tuple[str, ...]
    linked: bool  # their Telegram account is known (linked, or they wrote to the bot)
    telegram: str | None  # what the attendees file gave: a username (without @) or a numeric id


@reads
def list_attendees(conn, ctx: AppContext, text: str | None = None) -> list[AttendeeLine]:
    """Attendees whose id, @username or name matches `text` (refused when none does), or everyone."""
    if text is not None and not text.strip():
        raise OrganiserError(Problem.EMPTY_QUERY)
    found = attendees.find_attendees(conn, text, limit=-1) if text else attendees.all_attendees(conn)
    if text and not found:
        raise OrganiserError(Problem.NO_MATCH, query=text)
    groups = attendees.groups_by_attendee(conn)
    return [
        AttendeeLine(
            a.attendee_id, a.name, tuple(groups.get(a.attendee_id, ())), a.telegram_user_id is not None, a.telegram_hint
        )
        for a in found
    ]


@reads
def invites_csv(conn, ctx: AppContext) -> bytes:
    """Every imported attendee's personal invite link, for a mail merge."""
    imported = [a for a in attendees.all_attendees(conn) if not a.walk_in]
    return csv_bytes(
        ["attendee_id", "name", "email", "invite_link", "linked"],
        [
            [a.attendee_id, a.name, a.email, ctx.deep_link(a.invite_token), "yes" if a.telegram_user_id else "no"]
            for a in imported
        ],
    )


@writes
def unlink(conn, ctx: AppContext, attendee_id: str) -> str:
    """Detach an attendee's Telegram account so their invite link can be used again."""
    attendee = require_attendee(conn, attendee_id)
    if attendee.telegram_user_id is None:
        raise OrganiserError(Problem.NOTHING_TO_UNLINK, attendee_id=attendee.attendee_id)
    attendees.unlink_attendee(conn, attendee.attendee_id)
    return attendee.attendee_id
