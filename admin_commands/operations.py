"""Organiser use cases. Each runs in one transaction and either succeeds or
raises `OperationError` with a message fit to show the organiser as is."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace

from bot import importer, qr
from bot.domain import badges
from bot.domain import pins as pin_rules
from bot.domain.rules import AclMode
from bot.domain.times import to_db
from bot.importer import AttendeeRecord, RegistrationRecord, SessionRecord
from bot.services import attendance
from bot.services.context import AppContext, read_only, transactional
from bot.services.people import new_invite_token
from bot.storage import repo
from bot.storage import scanners as scanner_repo
from bot.storage import shortlinks as shortlink_repo
from bot.storage.repo import SessionRow
from bot.storage.shortlinks import ShortlinkRow
from bot.tabular import csv_bytes

IMPORT_ORDER = {"sessions": 0, "attendees": 1, "registrations": 2}


class OperationError(Exception):
    """A refusal the organiser can act on; the message says what and why."""


@dataclass(frozen=True)
class ImportReport:
    filename: str
    kind: str | None
    imported: int
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


async def import_file(ctx: AppContext, data: bytes, filename: str) -> ImportReport:
    """Import one sessions, attendees or registrations file: all rows or none."""
    try:
        # Off the event loop: a large spreadsheet takes seconds to read.
        parsed = await asyncio.to_thread(importer.parse_file, data, filename, ctx.settings.event_timezone)
    except importer.ImportFileError as exc:
        return ImportReport(filename, None, 0, [str(exc)])
    if parsed.errors:
        return ImportReport(filename, parsed.kind, 0, parsed.errors)
    writer = {"sessions": _import_sessions, "attendees": _import_attendees, "registrations": _import_registrations}[
        parsed.kind
    ]
    try:
        await ctx.db.run(_write_or_roll_back, writer, ctx, parsed.records)
    except _Rollback as rollback:
        return ImportReport(filename, parsed.kind, 0, rollback.errors)
    return ImportReport(filename, parsed.kind, len(parsed.records), [])


def _write_or_roll_back(conn, writer, ctx: AppContext, records: list) -> None:
    errors = writer(conn, ctx, records)
    if errors:
        raise _Rollback(errors)


class _Rollback(Exception):
    """Leaves the transaction block so that nothing of a bad file is kept."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors


async def import_files(ctx: AppContext, files: list[tuple[str, bytes]]) -> list[ImportReport]:
    """Several files in dependency order (sessions, attendees, registrations),
    each one all-or-nothing."""

    def order(file: tuple[str, bytes]) -> int:
        try:
            return IMPORT_ORDER[importer.parse_file(file[1], file[0], ctx.settings.event_timezone).kind]
        except importer.ImportFileError:
            return len(IMPORT_ORDER)

    return [await import_file(ctx, data, name) for name, data in sorted(files, key=order)]


def _import_sessions(conn, ctx: AppContext, records: list[SessionRecord]) -> list[str]:
    errors = []
    current = repo.all_pins(conn)
    owner = {pin: sid for sid, by_dir in current.items() for pin in by_dir.values()}
    for r in records:
        for pin in (r.pin_in, r.pin_out):
            if pin and owner.get(pin, r.session_id.upper()) != r.session_id.upper():
                errors.append(f"Row {r.row}: PIN {pin} is already used by session {owner[pin]}")
    if errors:
        return errors
    for r in records:
        repo.upsert_session(
            conn,
            SessionRow(r.session_id, r.title, r.starts_at, r.ends_at, r.room, r.capacity, bool(r.access_control)),
            set_capacity=r.has_capacity,
            set_access=r.access_control is not None,
        )
        if r.targets is not None:
            repo.set_targets(conn, r.session_id, r.targets)
    # Free every PIN that is being replaced before inserting, so swaps between sessions work.
    # A PIN cell left blank keeps that session's current PIN.
    changed = [
        replace(
            r,
            pin_in=r.pin_in or current.get(r.session_id.upper(), {}).get("IN"),
            pin_out=r.pin_out or current.get(r.session_id.upper(), {}).get("OUT"),
        )
        for r in records
        if r.pin_in or r.pin_out
    ]
    for r in changed:
        repo.delete_pins(conn, [r.session_id])
    for r in changed:
        for direction, pin in (("IN", r.pin_in), ("OUT", r.pin_out)):
            if pin:
                repo.replace_pin(conn, r.session_id, direction, pin)
    return []


def _import_attendees(conn, ctx: AppContext, records: list[AttendeeRecord]) -> list[str]:
    now = ctx.clock()
    for r in records:
        existing = repo.get_attendee(conn, r.attendee_id)
        repo.upsert_attendee(
            conn,
            existing.attendee_id if existing else r.attendee_id,
            r.name,
            r.email,
            r.telegram,
            existing.invite_token if existing else new_invite_token(),
            now,
        )
        if r.groups is not None:
            repo.set_groups(conn, r.attendee_id, r.groups)
    return []


def _import_registrations(conn, ctx: AppContext, records: list[RegistrationRecord]) -> list[str]:
    attendees = repo.existing_ids(conn, "attendees", {r.attendee_id for r in records})
    sessions = repo.existing_ids(conn, "sessions", {r.session_id for r in records})
    errors = []
    for r in records:
        if r.attendee_id.upper() not in attendees:
            errors.append(f"Row {r.row}: unknown attendee {r.attendee_id!r} (import attendees first)")
        if r.session_id.upper() not in sessions:
            errors.append(f"Row {r.row}: unknown session {r.session_id!r} (import sessions first)")
    if errors:
        return errors
    for r in records:
        repo.add_registration(conn, r.attendee_id, r.session_id)
    return []


# ---------------------------------------------------------------- PINs


@dataclass(frozen=True)
class PinLine:
    session: SessionRow
    pin_in: str | None
    pin_out: str | None


@read_only
def list_pins(conn, ctx: AppContext) -> list[PinLine]:
    pins = repo.all_pins(conn)
    return [
        PinLine(s, pins.get(s.session_id.upper(), {}).get("IN"), pins.get(s.session_id.upper(), {}).get("OUT"))
        for s in repo.all_sessions(conn)
    ]


@transactional
def generate_pins(conn, ctx: AppContext, which: str) -> int:
    """`new`: give PINs to sessions that lack one; `all`: replace every session's PINs.
    Returns how many sessions got new PINs."""
    if which not in ("new", "all"):
        raise OperationError("Say which sessions: 'new' (sessions without PINs) or 'all' (regenerate every PIN).")
    current = repo.all_pins(conn)
    sessions = repo.all_sessions(conn)
    if which == "all":
        repo.delete_pins(conn, [s.session_id for s in sessions])
        current = {}
    taken = {pin for by_dir in current.values() for pin in by_dir.values()}
    changed = 0
    for session in sessions:
        have = current.get(session.session_id.upper(), {})
        missing = [d for d in ("IN", "OUT") if d not in have]
        for direction in missing:
            pin = pin_rules.generate_pin(taken)
            taken.add(pin)
            repo.replace_pin(conn, session.session_id, direction, pin)
        changed += bool(missing)
    return changed


@transactional
def set_pin(conn, ctx: AppContext, session_id: str, pin_in: str, pin_out: str | None = None) -> PinLine:
    """Set a session's IN PIN (and optionally its OUT PIN), as the organiser typed them."""
    for pin in filter(None, (pin_in, pin_out)):
        problem = pin_rules.pin_problem(pin)
        if problem:
            raise OperationError(f"Not changed: {problem}.")
    if pin_out is not None and pin_in == pin_out:
        raise OperationError("Not changed: the IN and OUT PINs must differ.")
    session = _session_or_fail(conn, session_id)
    for direction, pin in (("IN", pin_in), ("OUT", pin_out)):
        if pin is None:
            continue
        holder = repo.pin_lookup(conn, pin)
        if holder and (holder[0].upper(), holder[1]) != (session.session_id.upper(), direction):
            raise OperationError(f"Not changed: PIN {pin} is already the {holder[1]} PIN of session {holder[0]}.")
    for direction, pin in (("IN", pin_in), ("OUT", pin_out)):
        if pin is not None:
            repo.replace_pin(conn, session.session_id, direction, pin)
    pins = (repo.all_pins(conn)).get(session.session_id.upper(), {})
    return PinLine(session, pins.get("IN"), pins.get("OUT"))


def _session_or_fail(conn, session_id: str) -> SessionRow:
    session = repo.get_session(conn, session_id)
    if session is None:
        raise OperationError(f"There is no session {session_id!r}. /pins lists the sessions.")
    return session


def _attendee_or_fail(conn, attendee_id: str):
    attendee = repo.get_attendee(conn, attendee_id)
    if attendee is None:
        raise OperationError(f"There is no attendee {attendee_id!r}.")
    return attendee


# ---------------------------------------------------------------- invites


@read_only
def invites_csv(conn, ctx: AppContext) -> bytes:
    """Every imported attendee's personal invite link, for a mail merge."""
    attendees = [a for a in repo.all_attendees(conn) if not a.walk_in]
    return csv_bytes(
        ["attendee_id", "name", "email", "invite_link", "linked"],
        [
            [a.attendee_id, a.name, a.email, ctx.deep_link(a.invite_token), "yes" if a.telegram_user_id else "no"]
            for a in attendees
        ],
    )


@transactional
def unlink(conn, ctx: AppContext, attendee_id: str) -> str:
    """Detach an attendee's Telegram account so their invite link can be used again."""
    attendee = _attendee_or_fail(conn, attendee_id)
    if attendee.telegram_user_id is None:
        raise OperationError(f"{attendee.attendee_id} has no Telegram account linked.")
    repo.unlink_attendee(conn, attendee.attendee_id)
    return attendee.attendee_id


# ---------------------------------------------------------------- scanners


@dataclass(frozen=True)
class ScannerLine:
    user_id: int
    label: str
    all_sessions: bool
    session_ids: tuple[str, ...]
    current_session_id: str | None


def _resolve_person(conn, who: str) -> tuple[int, str]:
    """A Telegram user id from a numeric id, an @username or an attendee id.

    @usernames and attendee ids must belong to someone who has already written
    to the bot, because only then does Telegram tell us their numeric id.
    """
    who = who.strip()
    if who.isdigit():
        return int(who), repo.telegram_user_label(conn, int(who))
    if who.startswith("@"):
        user_id = repo.user_id_for_username(conn, who[1:])
        if user_id is None:
            raise OperationError(
                f"{who} has not written to the bot yet. Ask them to send /start, then try again "
                "(or use their numeric Telegram id)."
            )
        return user_id, who
    attendee = repo.get_attendee(conn, who)
    if attendee is None:
        raise OperationError(f"I don't know {who!r}: give an attendee id, an @username or a numeric Telegram id.")
    if attendee.telegram_user_id is None:
        raise OperationError(
            f"{attendee.attendee_id} ({attendee.name}) has not linked Telegram yet: they should "
            "open their invite link or send /start."
        )
    return attendee.telegram_user_id, f"{attendee.name} ({attendee.attendee_id})"


@transactional
def assign_scanner(conn, ctx: AppContext, who: str, sessions: list[str]) -> ScannerLine | None:
    """`all`, `off`, or a list of session ids. Returns None when the scanner was removed."""
    if not sessions:
        raise OperationError("Say which sessions: all, off, or session ids (e.g. S12 S13).")
    user_id, label = _resolve_person(conn, who)
    spec = [s.lower() for s in sessions]
    if spec == ["off"]:
        if not scanner_repo.remove(conn, user_id):
            raise OperationError(f"{label} is not a scanner.")
        return None
    if spec == ["all"]:
        scanner_repo.assign(conn, user_id, True, [], to_db(ctx.clock()))
    else:
        found = []
        for session_id in sessions:
            found.append((_session_or_fail(conn, session_id)).session_id)
        scanner_repo.assign(conn, user_id, False, found, to_db(ctx.clock()))
    row = scanner_repo.get_scanner(conn, user_id)
    return ScannerLine(user_id, label, row.all_sessions, row.session_ids, row.current_session_id)


@read_only
def list_scanners(conn, ctx: AppContext) -> list[ScannerLine]:
    return [
        ScannerLine(
            s.user_id, repo.telegram_user_label(conn, s.user_id), s.all_sessions, s.session_ids, s.current_session_id
        )
        for s in scanner_repo.all_scanners(conn)
    ]


# ---------------------------------------------------------------- access control and capacity


@transactional
def set_access(conn, ctx: AppContext, session_id: str, state: str) -> SessionRow:
    if state.lower() not in ("on", "off"):
        raise OperationError("Usage: /access <session> on|off")
    session = _session_or_fail(conn, session_id)
    repo.set_access_control(conn, session.session_id, state.lower() == "on")
    return repo.get_session(conn, session.session_id)


@transactional
def set_acl_mode(conn, ctx: AppContext, mode: str) -> AclMode:
    try:
        chosen = AclMode(mode.lower())
    except ValueError:
        raise OperationError(
            "Usage: /acl include (registered or targeted attendees) or /acl exclude (registered attendees only)."
        ) from None
    repo.set_setting(conn, "acl_mode", chosen.value)
    return chosen


@read_only
def get_acl_mode(conn, ctx: AppContext) -> AclMode:
    return attendance.acl_mode(conn)


@transactional
def set_capacity(conn, ctx: AppContext, session_id: str, value: str) -> SessionRow:
    value = value.strip().lower()
    if value == "none":
        capacity = None
    elif value.isdigit() and int(value) <= 1_000_000:
        capacity = int(value)
    else:
        raise OperationError("Usage: /capacity <session> <number|none>")
    session = _session_or_fail(conn, session_id)
    repo.set_capacity(conn, session.session_id, capacity)
    return repo.get_session(conn, session.session_id)


# ---------------------------------------------------------------- badges


@dataclass(frozen=True)
class Badge:
    attendee_id: str
    name: str
    token: str


@read_only
def badge_for(conn, ctx: AppContext, attendee_id: str) -> Badge:
    attendee = _attendee_or_fail(conn, attendee_id)
    return Badge(
        attendee.attendee_id,
        attendee.name,
        badges.make_token(ctx.badge_secret, attendee.attendee_id, attendee.badge_version),
    )


@transactional
def reissue_badge(conn, ctx: AppContext, attendee_id: str) -> Badge:
    """A new badge version: every earlier code of this attendee is refused as `revoked`."""
    attendee = _attendee_or_fail(conn, attendee_id)
    version = repo.bump_badge_version(conn, attendee.attendee_id)
    return Badge(
        attendee.attendee_id, attendee.name, badges.make_token(ctx.badge_secret, attendee.attendee_id, version)
    )


async def badges_zip(ctx: AppContext) -> tuple[bytes, int]:
    """Print-ready badge PNGs (QR with name and id underneath) for every attendee."""
    attendees = await ctx.db.read(repo.all_attendees)
    files = await asyncio.to_thread(_badge_files, ctx.badge_secret, attendees)
    return qr.zip_bytes(files), len(files)


def _badge_files(secret: str, attendees) -> list[tuple[str, bytes]]:
    pngs = qr.qr_pngs(
        [(badges.make_token(secret, a.attendee_id, a.badge_version), [a.name, a.attendee_id]) for a in attendees]
    )
    return [(f"badge-{_safe_name(a.attendee_id)}.png", png) for a, png in zip(attendees, pngs, strict=True)]


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in text)


# ---------------------------------------------------------------- shortlinks

SHORTLINK_CODE_RE = re.compile(r"^SL[A-Z0-9]{1,62}$")


@dataclass(frozen=True)
class ShortlinkLine:
    code: str
    session: SessionRow
    reference: str
    popup: str
    link: str


@transactional
def set_shortlink(
    conn, ctx: AppContext, code: str, session_id: str, popup: str = "", reference: str = ""
) -> ShortlinkLine:
    """Create or update a shortlink. The code is also a Telegram deep-link payload,
    so it must stay within `A-Za-z0-9_-` and 64 characters; we ask for `SL` and
    upper-case letters or digits, as the product defines."""
    if not SHORTLINK_CODE_RE.match(code):
        raise OperationError(
            f"Shortlink code {code!r} must be SL followed by upper-case letters or digits "
            "(at most 64 characters), e.g. SL001."
        )
    session = _session_or_fail(conn, session_id)
    shortlink_repo.upsert(conn, ShortlinkRow(code, session.session_id, reference or session.title, popup.strip()[:500]))
    link = shortlink_repo.get(conn, code)
    return ShortlinkLine(
        code, session, link.reference, link.popup or attendance.default_popup(session), ctx.deep_link(code)
    )


@transactional
def remove_shortlink(conn, ctx: AppContext, code: str) -> None:
    if not shortlink_repo.delete(conn, code):
        raise OperationError(f"There is no shortlink {code!r}. /shortlinks lists them.")


@read_only
def list_shortlinks(conn, ctx: AppContext, codes: list[str] | None = None) -> list[ShortlinkLine]:
    rows = shortlink_repo.all_shortlinks(conn)
    sessions = {s.session_id.upper(): s for s in repo.all_sessions(conn)}
    if codes:
        wanted = {c.upper() for c in codes}
        missing = wanted - {r.code for r in rows}
        if missing:
            raise OperationError(f"Unknown shortlink(s): {', '.join(sorted(missing))}. /shortlinks lists them.")
        rows = [r for r in rows if r.code in wanted]
    lines = []
    for r in rows:
        session = sessions[r.session_id.upper()]
        lines.append(
            ShortlinkLine(
                r.code, session, r.reference, r.popup or attendance.default_popup(session), ctx.deep_link(r.code)
            )
        )
    return lines


async def shortlink_qr_zip(
    ctx: AppContext, codes: list[str] | None = None, parallel: bool | None = None
) -> tuple[bytes, int]:
    """Print-ready PNGs: the deep link's QR with code, reference and session title under it."""
    lines = await list_shortlinks(ctx, codes)
    files = await asyncio.to_thread(_shortlink_files, lines, parallel)
    return qr.zip_bytes(files), len(files)


def _shortlink_files(lines: list[ShortlinkLine], parallel: bool | None = None) -> list[tuple[str, bytes]]:
    pngs = qr.qr_pngs([(line.link, [line.code, line.reference, line.session.title]) for line in lines], parallel)
    return [(f"{line.code}.png", png) for line, png in zip(lines, pngs, strict=True)]


# ---------------------------------------------------------------- backup


async def backup(ctx: AppContext, path: str) -> int:
    """SQLite's online backup API: a consistent copy even while the bot writes."""
    return await ctx.db.backup_to(path)
