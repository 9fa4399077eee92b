"""Session PINs, for organisers: list, generate, set."""

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


@reads
def list_pins(conn, ctx: AppContext) -> list[PinLine]:
    pins = agenda.all_pins(conn)
    return [
        PinLine(s, pins.get(s.session_id.upper(), {}).get("IN"), pins.get(s.session_id.upper(), {}).get("OUT"))
        for s in agenda.all_sessions(conn)
    ]


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
