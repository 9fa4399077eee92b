"""The scanner Mini App's JSON API: `POST /api/scanner/<action>`, each request carrying Telegram's `initData`.

Every request is checked in this order, and a refusal records nothing:
the body (at most 4 KB of a JSON object: 400), the signature and age of
`initData` (401), the sender's request rate (429); then the service decides
whether this Telegram user may scan for the session named (403, logged).
Scans, overrides and undos go through the same service functions as the
chat's photo scans (`bot.services.scanning`), so one rule engine judges them
and one log records them, marked as coming from the Mini App.

Answers speak the viewer's Telegram language (`user.language_code` inside the
verified `initData`; unsupported: the event language, `AppContext.event_language`).
A request whose `initData` cannot be verified is answered in the event language:
nothing in it can be trusted, not even its language. The `sessions` answer, which
the page asks for first, carries every word of the page (`lang`, `words`), so the
page speaks the viewer's language from then on. `ScannerPage` renders the page
itself, in the language its link asks for (`?lang=`) or the event language.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta

from bot import i18n
from bot.domain.rules import ActionRefusal, Direction, Reason, overridable, undo_deadline, undoable
from bot.domain.times import format_local
from bot.services import checkin, scanning
from bot.services.checkin import AttemptResult
from bot.services.context import AppContext, Person
from bot.services.roster import door_roster
from bot.services.scanning import DoorScan, Override, ScanRefusal, Undo, miniapp_key
from bot.web import page_texts, pages
from bot.web.init_data import InitDataRejected, MiniAppUser, validate
from bot.web.security import WebHandler

log = logging.getLogger(__name__)

MAX_BODY = 4096
MAX_CODE = 512
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Refusals that mean "not your door" (403); the others are rules saying no to an action (409).
FORBIDDEN = frozenset({ActionRefusal.NOT_SCANNER, ActionRefusal.UNKNOWN_SESSION, ActionRefusal.SCANNER_NOT_PERMITTED})
# A person scans a badge a second at most; a phone back online sends its queue one by one.
RATE_PER_SECOND = 20
# A scan may wait on an offline phone, but not from before Telegram signed the page's initData.
CLOCK_SLACK = timedelta(minutes=1)


class BadRequest(Exception):
    """The request cannot be read (400); the message is for the log."""


class PerUserLimit:
    """At most `rate` requests from one Telegram user in any second (sliding window)."""

    def __init__(self, rate: int = RATE_PER_SECOND) -> None:
        self.rate = rate
        self.recent: dict[int, deque[float]] = defaultdict(deque)

    def allow(self, user_id: int) -> bool:
        now = time.monotonic()
        times = self.recent[user_id]
        while times and now - times[0] >= 1.0:
            times.popleft()
        if len(times) >= self.rate:
            return False
        times.append(now)
        return True


class ScannerApi(WebHandler):
    """One handler for every action: read and check the request, then call one service function."""

    def initialize(self, ctx: AppContext, limit: PerUserLimit) -> None:
        self.ctx = ctx
        self.limit = limit

    def check_xsrf_cookie(self) -> None:  # requests are authenticated by initData's signature, not cookies
        pass

    async def post(self, action: str) -> None:
        with i18n.speaking(page_texts.page_language(None, self.ctx.event_language)):
            await self._post(action)

    async def _post(self, action: str) -> None:
        act = ACTIONS.get(action)
        if act is None:
            self._fail(404, "unknown action")
            return
        try:
            body = self._json_body()
            user = validate(
                str(body.get("initData", "")), self.ctx.settings.bot_token, self._max_age(), self.ctx.clock()
            )
        except BadRequest as problem:
            self._fail(400, str(problem))
            return
        except InitDataRejected as problem:
            log.warning("Mini App request refused (401) from %s: %s", self.client_ip, problem)
            self._fail(401, "initData")
            return
        if not self.limit.allow(user.user_id):
            with i18n.speaking(page_texts.page_language(user.language_code, self.ctx.event_language)):
                self._fail(429, "too many requests")
            return
        scanner = Person(user.user_id, user.first_name, user.last_name, user.username)
        with i18n.speaking(page_texts.page_language(user.language_code, self.ctx.event_language)):
            await self._act(act, action, scanner, user, body)

    async def _act(self, act, action: str, scanner: Person, user: MiniAppUser, body: dict) -> None:
        try:
            answer = await act(self, scanner, user, body)
        except BadRequest as problem:
            self._fail(400, str(problem))
            return
        except ScanRefusal as refused:
            status = 403 if refused.reason in FORBIDDEN else 409
            log.warning("refused Mini App %s by user %s: %s", action, user.user_id, refused.reason)
            self._fail(status, refused.reason.value, page_texts.refusal(refused.reason))
            return
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(answer))

    # ---------------------------------------------------------------- actions

    async def sessions(self, scanner: Person, user: MiniAppUser, body: dict) -> dict:
        sessions = await scanning.scannable_sessions(self.ctx, scanner.user_id)
        tz = self.ctx.timezone
        return {
            "scanner": scanner.display_name,
            "lang": i18n.current(),
            "words": page_texts.scanner_words(),
            "sessions": [
                {
                    "id": s.session_id,
                    "title": s.title,
                    "room": s.room,
                    "when": f"{format_local(s.starts_at, tz)}–{format_local(s.ends_at, tz, with_date=False)}",
                }
                for s in sessions
            ],
        }

    async def scan(self, scanner: Person, user: MiniAppUser, body: dict) -> dict:
        scan = DoorScan(
            session_id=_text(body, "session_id", 32),
            code=_text(body, "code", MAX_CODE).strip(),
            typed=bool(body.get("typed", False)),
            scanned_at=self._scan_time(body, user),
        )
        if not scan.code:
            raise BadRequest("empty code")
        outcome = await checkin.check_in(self.ctx, scanner, scan, miniapp_key("scan", _request_id(body)))
        return self._verdict(outcome.result)

    async def roster(self, scanner: Person, user: MiniAppUser, body: dict) -> dict:
        """The door roster of one session (`bot.services.roster`), for verdicts while offline. The
        people and revoked lists are left out while the phone's copy (`have`: its version) is current."""
        have = body.get("have")
        door = await door_roster(self.ctx, scanner.user_id, _text(body, "session_id", 32))
        answer = {
            "session": door.session.session_id,
            "version": door.version,
            "refreshed_at": _ms(door.refreshed_at),
            "salt": door.salt,
            "timezone": self.ctx.timezone.key,
            "access_control": door.session.access_control,
            "acl_mode": door.acl_mode.value,
            "capacity": door.session.capacity,
            "window": {"opens": _ms(door.window.opens), "closes": _ms(door.window.closes)},
            "inside": door.inside,
            "inside_since": [[attendee_id, _ms(at)] for attendee_id, at in door.inside_since],
        }
        if have == door.version:
            answer["unchanged"] = True
        else:
            answer["people"] = [[p.code_hash, p.attendee_id, p.name, p.flags] for p in door.people]
            answer["revoked"] = list(door.revoked)
        return answer

    async def override(self, scanner: Person, user: MiniAppUser, body: dict) -> dict:
        log_id = _log_id(body)
        outcome = await checkin.check_in(self.ctx, scanner, Override(log_id), miniapp_key("override", log_id))
        return self._verdict(outcome.result)

    async def undo(self, scanner: Person, user: MiniAppUser, body: dict) -> dict:
        log_id = _log_id(body)
        result = (await checkin.check_in(self.ctx, scanner, Undo(log_id), miniapp_key("undo", log_id))).result
        return {
            "colour": "neutral",
            "headline": page_texts.undone(result.attendee.name),
            "attendee_id": result.attendee.attendee_id,
            "session": result.session.session_id,
            "inside": result.inside_now,
            "capacity": result.session.capacity,
        }

    # ---------------------------------------------------------------- reading and answering

    def _json_body(self) -> dict:
        raw = self.request.body
        if len(raw) > MAX_BODY:
            raise BadRequest(f"body of {len(raw)} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            raise BadRequest("not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("not a JSON object")
        return body

    def _max_age(self) -> timedelta:
        return self.ctx.settings.init_data_max_age

    def _scan_time(self, body: dict, user: MiniAppUser) -> datetime:
        """When the camera read the code: the phone's clock, within what the server can believe."""
        now = self.ctx.clock()
        raw = body.get("scanned_at")
        if raw is None:
            return now
        if not isinstance(raw, int | float) or isinstance(raw, bool):
            raise BadRequest("scanned_at is not a number")
        try:
            at = datetime.fromtimestamp(raw / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRequest("scanned_at out of range") from None
        if at > now + CLOCK_SLACK or at < user.signed_at - CLOCK_SLACK:
            raise BadRequest("scanned_at outside the page's life")
        return min(at, now)

    def _verdict(self, result: AttemptResult) -> dict:
        reason = result.verdict.reason
        tz = self.ctx.timezone
        window_at, earlier_at = result.verdict.window_at, result.verdict.earlier_at
        headline = page_texts.verdict(
            reason,
            format_local(window_at, tz, False) if window_at else "",
            format_local(earlier_at, tz, False) if earlier_at else "",
        )
        if result.override and result.verdict.accepted:
            headline = i18n._(page_texts.ADMITTED_ANYWAY)
        accepted = result.verdict.accepted
        attendee = result.attendee
        session = result.session
        can_undo = result.log_id is not None and undoable(accepted, result.direction, result.method)
        return {
            "log_id": result.log_id,
            "reason": reason.value,
            "colour": "green" if accepted else ("yellow" if reason is Reason.ALREADY_CHECKED_IN else "red"),
            "headline": headline,
            "name": attendee.name if attendee else None,
            "attendee_id": attendee.attendee_id if attendee else None,
            # Registration matters at a session with access control only: elsewhere the card leaves it out.
            "access_control": session.access_control if session else None,
            "registered": result.registered,
            "targeted": result.targeted,
            "earlier_at": earlier_at.astimezone(UTC).isoformat() if earlier_at else None,
            "session": session.session_id if session else None,
            "inside": result.inside_now,
            "capacity": session.capacity if session else None,
            "overridable": result.log_id is not None and overridable(reason, result.method),
            "undo_until": undo_deadline(result.at).isoformat() if can_undo else None,
            "direction": Direction(result.direction).value,
            "replayed": result.replayed,
        }

    def _fail(self, status: int, problem: str, message: str | None = None) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": problem, "message": message or page_texts.error(status)}))

    def write_error(self, status_code: int, **kwargs) -> None:
        """Whatever went wrong, the page gets a sentence, never a stack trace (the log has it)."""
        self.set_header("Content-Type", "application/json; charset=utf-8")
        with i18n.speaking(page_texts.page_language(None, self.ctx.event_language)):
            self.finish(json.dumps({"error": "server", "message": page_texts.error(status_code)}))


ACTIONS = {
    "sessions": ScannerApi.sessions,
    "scan": ScannerApi.scan,
    "override": ScannerApi.override,
    "undo": ScannerApi.undo,
    "roster": ScannerApi.roster,
}


def _ms(moment: datetime) -> int:
    """A moment as the page's clock counts (milliseconds since 1970, UTC)."""
    return round(moment.timestamp() * 1000)


def _text(body: dict, name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRequest(f"{name} missing or over {limit} characters")
    return value


def _request_id(body: dict) -> str:
    value = body.get("scan_id")
    if not isinstance(value, str) or not REQUEST_ID_RE.match(value):
        raise BadRequest("scan_id missing or malformed")
    return value


def _log_id(body: dict) -> int:
    value = body.get("log_id")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**62:
        raise BadRequest("log_id missing or malformed")
    return value


class ScannerPage(WebHandler):
    """`/miniapp/scanner/`: the Mini App's page, its labels in the language its link asks for
    (`?lang=`), else the event language; the viewer's own language comes with the first answer."""

    mini_app = True  # framed by Telegram Web, loads Telegram's script (`bot.web.security`)

    def initialize(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def get(self) -> None:
        language = page_texts.page_language(self.get_query_argument("lang", None), self.ctx.event_language)
        with i18n.speaking(language):
            page = pages.render("scanner.html", page_texts.scanner_words())
        self.set_header("Cache-Control", "no-cache")
        self.finish(page)
