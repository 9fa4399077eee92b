"""Session PINs, for organisers: list, generate, set, and rotating IN PINs."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import pins as pin_rules
from bot.services.context import AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem, require_session
from bot.storage import agenda
from bot.storage.records import SessionRow


@dataclass(frozen=True)
class PinLine:
    session: SessionRow
    pin_in: str | None
    pin_out: str | None
    rotating_now: str | None = None  # the rotating IN PIN of this moment, when the session rotates


@reads
def list_pins(conn, ctx: AppContext) -> list[PinLine]:
    return _pin_lines(conn, ctx)


def _pin_lines(conn, ctx: AppContext) -> list[PinLine]:
    pins = agenda.all_pins(conn)
    secrets_by_session = {s.session_id: secret for s, secret in agenda.rotating_sessions(conn)}
    now = ctx.clock()
    lines = []
    for s in agenda.all_sessions(conn):
        secret = secrets_by_session.get(s.session_id)
        rotating = None
        if secret is not None:
            rotating = pin_rules.rotating_pin(secret, pin_rules.rotation_step(now, s.pin_rotation_seconds))
        by_direction = pins.get(s.session_id.upper(), {})
        lines.append(PinLine(s, by_direction.get("IN"), by_direction.get("OUT"), rotating))
    return lines


@writes
def set_pin_rotation(conn, ctx: AppContext, session_id: str, value: str) -> PinLine:
    """Rotate a session's IN PIN every `value` seconds (10 to 3600), or stop (`off`).

    A session gets its own secret the first time; turning rotation off and on
    again keeps it, so a room display left open carries on. The fixed IN PIN
    keeps working beside the rotating one only if the organiser keeps it: it is
    not touched here.
    """
    value = value.strip().lower()
    session = require_session(conn, session_id)
    secret = agenda.pin_secret(conn, session.session_id) or pin_rules.new_rotation_secret()
    if value == "off":
        seconds = None
    elif value.isdecimal() and value.isascii() and pin_rules.ROTATION_MIN <= int(value) <= pin_rules.ROTATION_MAX:
        seconds = int(value)
    else:
        raise OrganiserError(Problem.ROTATION_VALUE, value=value[:20])
    agenda.set_pin_rotation(conn, session.session_id, seconds, secret)
    return next(line for line in _pin_lines(conn, ctx) if line.session.session_id == session.session_id)


@writes
def generate_pins(conn, ctx: AppContext, which: str) -> int:
    """`new`: give PINs to sessions that lack one; `all`: replace every session's PINs.
    Returns how many sessions got new PINs."""
    if which not in ("new", "all"):
        raise OrganiserError(Problem.GENPINS_WHICH)
    current = agenda.all_pins(conn)
    sessions = agenda.all_sessions(conn)
    if which == "all":
        agenda.delete_pins(conn, [s.session_id for s in sessions])
        current = {}
    taken = {pin for by_dir in current.values() for pin in by_dir.values()}
    changed = 0
    for session in sessions:
        have = current.get(session.session_id.upper(), {})
        missing = [d for d in ("IN", "OUT") if d not in have]
        for direction in missing:
            pin = pin_rules.generate_pin(taken)
            taken.add(pin)
            agenda.replace_pin(conn, session.session_id, direction, pin)
        changed += bool(missing)
    return changed


@writes
def set_pin(conn, ctx: AppContext, session_id: str, pin_in: str, pin_out: str | None = None) -> PinLine:
    """Set a session's IN PIN (and optionally its OUT PIN), as the organiser typed them."""
    for pin in filter(None, (pin_in, pin_out)):
        problem = pin_rules.pin_problem(pin)
        if problem:
            raise OrganiserError(Problem.PIN_INVALID, pin=pin, why=problem)
    if pin_out is not None and pin_in == pin_out:
        raise OrganiserError(Problem.PINS_IDENTICAL)
    session = require_session(conn, session_id)
    for direction, pin in (("IN", pin_in), ("OUT", pin_out)):
        if pin is None:
            continue
        holder = agenda.pin_lookup(conn, pin)
        if holder and (holder[0].upper(), holder[1]) != (session.session_id.upper(), direction):
            raise OrganiserError(Problem.PIN_TAKEN, pin=pin, direction=holder[1], session_id=holder[0])
    for direction, pin in (("IN", pin_in), ("OUT", pin_out)):
        if pin is not None:
            agenda.replace_pin(conn, session.session_id, direction, pin)
    pins = (agenda.all_pins(conn)).get(session.session_id.upper(), {})
    return PinLine(session, pins.get("IN"), pins.get("OUT"))
