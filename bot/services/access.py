"""Access control and capacity, for organisers."""

from __future__ import annotations

from bot.domain.rules import AclMode
from bot.services import checkin
from bot.services.context import AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem, require_session
from bot.storage import agenda, event_settings
from bot.storage.records import SessionRow


@writes
def set_access(conn, ctx: AppContext, session_id: str, state: str) -> SessionRow:
    if state.lower() not in ("on", "off"):
        raise OrganiserError(Problem.ACCESS_STATE)
    session = require_session(conn, session_id)
    agenda.set_access_control(conn, session.session_id, state.lower() == "on")
    return agenda.get_session(conn, session.session_id)


@writes
def set_acl_mode(conn, ctx: AppContext, mode: str) -> AclMode:
    try:
        chosen = AclMode(mode.lower())
    except ValueError:
        raise OrganiserError(Problem.ACL_MODE) from None
    event_settings.set_setting(conn, "acl_mode", chosen.value)
    return chosen


@reads
def get_acl_mode(conn, ctx: AppContext) -> AclMode:
    return checkin.acl_mode(conn)


@writes
def set_capacity(conn, ctx: AppContext, session_id: str, value: str) -> SessionRow:
    value = value.strip().lower()
    if value == "none":
        capacity = None
    elif value.isdigit() and int(value) <= 1_000_000:
        capacity = int(value)
    else:
        raise OrganiserError(Problem.CAPACITY_VALUE)
    session = require_session(conn, session_id)
    agenda.set_capacity(conn, session.session_id, capacity)
    return agenda.get_session(conn, session.session_id)
