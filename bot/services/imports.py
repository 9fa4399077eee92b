"""Importing the agenda, attendees and registrations from CSV or XLSX files: each file all rows or none."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from bot.domain import pins as pin_rules
from bot.domain.rules import Direction, attendance_window
from bot.files import sheet_reader
from bot.files.sheet_reader import AttendeeRecord, RegistrationRecord, SessionRecord
from bot.i18n import _
from bot.services import event
from bot.services.context import AppContext, writes
from bot.services.event import stored_window_settings
from bot.services.people import new_invite_token
from bot.storage import agenda, attendees, credits
from bot.storage.records import SessionRow
from bot.storage.sql import Conn

IMPORT_ORDER = {"sessions": 0, "attendees": 1, "registrations": 2}


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
    """Import one sessions, attendees or registrations file: all rows or none. Every
    problem is reported at once, in row order: the file's own and the database's."""
    # Times in the file are read in the event's zone, as the database keeps it now.
    zone = await event.refresh_timezone(ctx)
    try:
        # Off the event loop: a large spreadsheet takes seconds to read.
        parsed = await asyncio.to_thread(sheet_reader.parse_file, data, filename, zone)
    except sheet_reader.ImportFileError as exc:
        return ImportReport(filename, None, 0, [str(exc)])
    problems = await _check_and_write(ctx, parsed)
    if problems:
        return ImportReport(filename, parsed.kind, 0, sheet_reader.worded(problems))
    return ImportReport(filename, parsed.kind, len(parsed.records), [])


@writes
def _check_and_write(conn: Conn, ctx: AppContext, parsed: sheet_reader.ParsedFile) -> list[tuple[int, str]]:
    """The checks against the database run over every good row even when other rows are bad,
    so that the organiser fixes everything at once; then nothing is written if anything is wrong."""
    check, write = {
        "sessions": (_check_sessions, _write_sessions),
        "attendees": (lambda conn, records: [], _write_attendees),
        "registrations": (_check_registrations, _write_registrations),
    }[parsed.kind]
    problems = parsed.problems + check(conn, parsed.records)
    if not problems:
        write(conn, ctx, parsed.records)
    return problems


async def import_files(ctx: AppContext, files: list[tuple[str, bytes]]) -> list[ImportReport]:
    """Several files in dependency order (sessions, attendees, registrations),
    each one all-or-nothing."""

    def order(file: tuple[str, bytes]) -> int:
        try:
            return IMPORT_ORDER[sheet_reader.parse_file(file[1], file[0], ctx.timezone).kind]
        except sheet_reader.ImportFileError:
            return len(IMPORT_ORDER)

    return [await import_file(ctx, data, name) for name, data in sorted(files, key=order)]


def _check_sessions(conn: Conn, records: list[SessionRecord]) -> list[tuple[int, str]]:
    problems = []
    owner = {pin: sid for sid, by_dir in agenda.all_pins(conn).items() for pin in by_dir.values()}
    for r in records:
        for pin in (r.pin_in, r.pin_out):
            if pin and owner.get(pin, r.session_id.upper()) != r.session_id.upper():
                used = _("PIN {pin} is already used by session {session_id}")
                problems.append((r.row, used.format(pin=pin, session_id=owner[pin])))
    return problems + _never_open(conn, records)


def _write_sessions(conn: Conn, ctx: AppContext, records: list[SessionRecord]) -> None:
    current = agenda.all_pins(conn)
    for r in records:
        agenda.upsert_session(
            conn,
            SessionRow(
                r.session_id,
                r.title,
                r.starts_at,
                r.ends_at,
                r.room,
                r.capacity,
                bool(r.access_control),
                r.checkin_opens,
                r.checkin_closes,
            ),
            kept=frozenset(
                column
                for column, given in (
                    ("capacity", r.has_capacity),
                    ("access_control", r.access_control is not None),
                    ("checkin_opens", r.has_opens),
                    ("checkin_closes", r.has_closes),
                )
                if not given
            ),
        )
        if r.targets is not None:
            agenda.set_targets(conn, r.session_id, r.targets)
        if r.credits is not None or r.has_credit_rule:
            credits.set_session_credits(conn, r.session_id, r.credits, r.credit_rule, r.has_credit_rule)
        if r.has_rotation:
            secret = agenda.pin_secret(conn, r.session_id) or pin_rules.new_rotation_secret()
            agenda.set_pin_rotation(conn, r.session_id, r.pin_rotation_seconds, secret)
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
        agenda.delete_pins(conn, [r.session_id])
    for r in changed:
        for direction, pin in (("IN", r.pin_in), ("OUT", r.pin_out)):
            if pin:
                agenda.replace_pin(conn, r.session_id, direction, pin)


def _never_open(conn: Conn, records: list[SessionRecord]) -> list[tuple[int, str]]:
    """Rows whose check-in window would be empty: one end given in the file, the other the
    event's default (or kept from before), and they cross. Nobody could ever check in."""
    defaults = stored_window_settings(conn)
    errors = []
    for r in records:
        stored = agenda.get_session(conn, r.session_id)
        opens = r.checkin_opens if r.has_opens or stored is None else stored.checkin_opens
        closes = r.checkin_closes if r.has_closes or stored is None else stored.checkin_closes
        window = attendance_window(Direction.IN, r.starts_at, r.ends_at, defaults, opens, closes)
        if window.opens > window.closes:
            local = r.starts_at.tzinfo
            never_open = _(
                "check-in would never be open: it would open at {opens} and close at {closes} "
                "(give both checkin_opens and checkin_closes, or neither)"
            )
            opens = f"{window.opens.astimezone(local):%Y-%m-%d %H:%M}"
            closes = f"{window.closes.astimezone(local):%H:%M}"
            errors.append((r.row, never_open.format(opens=opens, closes=closes)))
    return errors


def _write_attendees(conn: Conn, ctx: AppContext, records: list[AttendeeRecord]) -> None:
    now = ctx.clock()
    for r in records:
        existing = attendees.get_attendee(conn, r.attendee_id)
        attendees.upsert_attendee(
            conn,
            existing.attendee_id if existing else r.attendee_id,
            r.name,
            r.email,
            r.telegram,
            existing.invite_token if existing else new_invite_token(),
            now,
        )
        if r.groups is not None:
            attendees.set_groups(conn, r.attendee_id, r.groups)


def _check_registrations(conn: Conn, records: list[RegistrationRecord]) -> list[tuple[int, str]]:
    attendees = agenda.existing_ids(conn, "attendees", {r.attendee_id for r in records})
    sessions = agenda.existing_ids(conn, "sessions", {r.session_id for r in records})
    problems = []
    for r in records:
        if r.attendee_id.upper() not in attendees:
            unknown = _("unknown attendee '{attendee_id}' (import attendees first)")
            problems.append((r.row, unknown.format(attendee_id=r.attendee_id)))
        if r.session_id.upper() not in sessions:
            unknown = _("unknown session '{session_id}' (import sessions first)")
            problems.append((r.row, unknown.format(session_id=r.session_id)))
    return problems


def _write_registrations(conn: Conn, ctx: AppContext, records: list[RegistrationRecord]) -> None:
    for r in records:
        agenda.add_registration(conn, r.attendee_id, r.session_id)
