"""The door roster: what a scanner's phone keeps so that it can judge scans while offline.

The scanner Mini App asks for the roster of the session it scans for when it starts and at
least once a minute while it is online (`POST /api/scanner/roster`), keeps it on the phone
(localStorage), and while the phone has no connection judges each scan against it with the
engine's rules (`bot/web/static/door_rules.js`), showing a provisional GREEN or RED. The
queued scans are sent when the connection is back and the server's verdict is final.

What the roster holds, and only that (it sits on a phone that may be lost):

* for every attendee of the event, a one-way hash of their current badge code, their
  attendee id and name (the card shows "Name (ID)"; a damaged badge's id may be typed),
  and registered / targeted for this session;
* who is inside the session now (their last record here is an accepted check-in), since when;
* hashes of the codes of their older badge versions (revoked), the most recent
  `REVOKED_VERSIONS_KEPT` of them (a yet older one is unknown to the phone, "not a badge of
  this event", where the server says "revoked": both red, the list of differences shows it);
* the session's access-control mode, capacity, check-in window and the count inside.

Never a badge code, never the signing secret: the phone cannot check a signature, so it
looks the scanned text up by its hash. A forged code is not in the roster, so the phone
says "not a badge of this event", as the server will.

The hash is `SHA-256(salt ":" code)`, the code as the engine reads it (trimmed, upper
case), cut to its first 128 bits, in hex. Decisions:

* a salted hash rather than an HMAC: the code carries an 80-bit signature, so its hash can
  neither be reversed nor a matching code be made up; the salt (sent with the roster,
  derived from the event's secret, so the same for every session and refresh of one event
  and different between events) only keeps hashes of one event useless elsewhere, and lets
  the phone keep its roster across refreshes. Plain SHA-256 is what the page can compute in
  any context: the page ships its own small SHA-256 (`door_rules.js`), because
  `crypto.subtle` exists only in a secure context (https; http://127.0.0.1 counts as one in
  Chromium, so the tests would not notice) and answers asynchronously, which would let two
  quick scans be queued out of order;
* 128 bits of hash: a collision among 5,000 badges is out of reach, and the roster of
  5,000 people stays near 360 KB of JSON;
* the phone sends the `version` of the roster it has; while the people and revoked lists
  are unchanged the answer leaves them out (`unchanged`), so the refresh every minute costs
  a few hundred bytes and about 25 more for each person inside;
* the phone trusts the roster it was given to mean it may scan there (the engine's first
  rule); a scanner taken off the session loses the roster at the next refresh (403).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain import badges
from bot.domain.rules import AclMode, ActionRefusal, Direction, Window
from bot.services.checkin import acl_mode
from bot.services.context import AppContext, reads
from bot.services.event import session_window, stored_window_settings
from bot.services.scanning import ScanRefusal
from bot.storage import agenda, attendance_log, scanner_assignments
from bot.storage.records import SessionRow
from bot.storage.roster_rows import RosterRow, roster_rows
from bot.storage.sql import Conn

HASH_HEX = 32  # 128 bits
REVOKED_VERSIONS_KEPT = 20
# People's flags, one number an entry.
REGISTERED, TARGETED = 1, 2


@dataclass(frozen=True)
class RosterEntry:
    code_hash: str
    attendee_id: str
    name: str
    flags: int  # REGISTERED | TARGETED


@dataclass(frozen=True)
class DoorRoster:
    session: SessionRow
    refreshed_at: datetime
    salt: str
    acl_mode: AclMode
    window: Window
    inside: int
    # Who is inside now (their last record here is an accepted check-in), since when: always sent.
    inside_since: tuple[tuple[str, datetime], ...]
    people: tuple[RosterEntry, ...]
    revoked: tuple[str, ...]
    version: str  # changes whenever people or revoked change


def roster_salt(secret: str) -> str:
    """The event's roster salt: derived from the badge secret, which it does not reveal."""
    return hmac.new(secret.encode(), b"door roster salt", hashlib.sha256).hexdigest()[:32]


def code_hash(salt: str, code: str) -> str:
    """The hash the phone computes of a scanned text (`door_rules.js` `codeHash`)."""
    return hashlib.sha256(f"{salt}:{code.strip().upper()}".encode()).hexdigest()[:HASH_HEX]


@functools.lru_cache(maxsize=65536)
def _badge_hashes(secret: str, attendee_id: str, version: int) -> tuple[str, tuple[str, ...]]:
    """(hash of the current code, hashes of the codes of the older versions kept)."""
    salt = roster_salt(secret)
    current = code_hash(salt, badges.make_token(secret, attendee_id, version))
    older = range(max(1, version - REVOKED_VERSIONS_KEPT), version)
    return current, tuple(code_hash(salt, badges.make_token(secret, attendee_id, v)) for v in older)


@dataclass(frozen=True)
class _Facts:
    session: SessionRow
    acl_mode: AclMode
    window: Window
    inside: int
    rows: list[RosterRow]


@reads
def _facts(conn: Conn, ctx: AppContext, user_id: int, session_id: str) -> _Facts:
    scanner = scanner_assignments.get_scanner(conn, user_id)
    if scanner is None:
        raise ScanRefusal(ActionRefusal.NOT_SCANNER)
    session = agenda.get_session(conn, session_id)
    if session is None:
        raise ScanRefusal(ActionRefusal.UNKNOWN_SESSION)
    if not scanner.may_scan(session.session_id):
        raise ScanRefusal(ActionRefusal.SCANNER_NOT_PERMITTED)
    return _Facts(
        session,
        acl_mode(conn),
        session_window(session, Direction.IN, stored_window_settings(conn)),
        attendance_log.people_inside(conn, session.session_id),
        roster_rows(conn, session.session_id),
    )


async def door_roster(ctx: AppContext, user_id: int, session_id: str) -> DoorRoster:
    """The roster of `session_id` for scanner `user_id`, who must be allowed to scan for it
    (`ScanRefusal` otherwise). Only the reading runs in the database thread; the hashes (cached per
    badge) and the version are worked out in a worker thread, so check-ins are not held up."""
    facts = await _facts(ctx, user_id, session_id)
    return await asyncio.to_thread(_roster, ctx.badge_secret, facts, ctx.clock())


def _roster(secret: str, facts: _Facts, now: datetime) -> DoorRoster:
    people, revoked, inside_since = [], [], []
    for row in facts.rows:
        current, older = _badge_hashes(secret, row.attendee_id.upper(), row.badge_version)
        flags = (REGISTERED if row.registered else 0) | (TARGETED if row.targeted else 0)
        people.append(RosterEntry(current, row.attendee_id, row.name, flags))
        revoked.extend(older)
        if row.inside_since is not None:
            inside_since.append((row.attendee_id, row.inside_since))
    listed = json.dumps([[p.code_hash, p.attendee_id, p.name, p.flags] for p in people] + [revoked])
    return DoorRoster(
        session=facts.session,
        refreshed_at=now,
        salt=roster_salt(secret),
        acl_mode=facts.acl_mode,
        window=facts.window,
        inside=facts.inside,
        inside_since=tuple(inside_since),
        people=tuple(people),
        revoked=tuple(revoked),
        version=hashlib.sha256(listed.encode()).hexdigest()[:16],
    )
