"""Certificates brought up to date with attendance (README "Certificates"): the bot's periodic pass
(`check`, run by `bot.telegram.certificate_check`, and by release, the ZIP and send first) and one
attendee's (`refresh`, in `/certificate`).

Once certificates are released, an attendee whose credited attendance changed since their
certificate was issued (a session ended with their visit in it, a late check-out, an organiser's
undo or override, a one-room change, an agenda import...) gets a new number; the old one is
`superseded` (its verification page names the newer) and they are told once, through the outbox,
in the same transaction. One left with no credits has theirs superseded by none ("withdrawn") and
is told so. An attendee whose latest certificate was revoked gets nothing new here: only an
organiser's `certificates.reissue` gives them one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from bot import i18n
from bot.domain import certificate_numbers as numbers
from bot.domain.times import to_db
from bot.services import credits
from bot.services.context import AppContext
from bot.storage import attendees, event_settings, outbox
from bot.storage import certificates as stored
from bot.storage.sql import Conn

RELEASED_KEY = "certificates_released_at"
CHECKED_KEY = "certificates_checked"  # JSON: what the last `check` saw (`_inputs`)


def released(conn: Conn) -> bool:
    return event_settings.get_setting(conn, RELEASED_KEY) is not None


def summary_of(person: credits.AttendeeCredits) -> dict:
    lines = [line for line in person.lines if line.credits > 0]
    return {
        "name": person.name,
        "sessions": [[line.title, to_db(line.starts_at), round(line.minutes), str(line.credits)] for line in lines],
        "total": str(credits.total(lines)),
    }


def _text(summary: dict) -> str:
    """The summary as stored with a certificate; its hash is the certificate's `content_hash`."""
    return json.dumps(summary, ensure_ascii=False, sort_keys=True)


def _digest(summary: dict) -> str:
    return hashlib.sha256(_text(summary).encode()).hexdigest()


def issue(conn: Conn, ctx: AppContext, attendee_id: str, summary: dict, old: stored.CertificateRow | None) -> str:
    text = _text(summary)
    number = numbers.new_number()
    while stored.get(conn, number) is not None:
        number = numbers.new_number()
    now = ctx.clock()
    if old is not None:  # one valid certificate per attendee, and superseded_by names an existing one
        stored.supersede(conn, old.number, None, now)
    stored.insert(conn, number, attendee_id, now, _digest(summary), text)
    if old is not None:
        stored.supersede(conn, old.number, number, now)
    return number


@dataclass(frozen=True)
class _Change:
    attendee_id: str
    kind: str  # issued (a first certificate), superseded (old -> new), withdrawn (no credits any more)
    old: str | None
    new: str | None


def person_credits(conn: Conn, ctx: AppContext, attendee_id: str) -> credits.AttendeeCredits | None:
    row = attendees.get_attendee(conn, attendee_id)
    if row is None:
        return None
    return credits.AttendeeCredits(row.attendee_id, row.name, credits.lines_for(conn, ctx, row.attendee_id))


def _bring_up_to_date(conn: Conn, ctx: AppContext, person: credits.AttendeeCredits) -> _Change | None:
    """Make one attendee's certificate say what their attendance gives now: nothing to do, a first
    certificate, a new number superseding the old one, or (no credits any more) the old one
    superseded by none. Someone whose latest certificate was revoked gets nothing (`reissue`)."""
    summary = summary_of(person)
    old = stored.valid_for(conn, person.attendee_id)
    if not summary["sessions"]:
        if old is None:
            return None
        stored.supersede(conn, old.number, None, ctx.clock())
        return _Change(person.attendee_id, "withdrawn", old.number, None)
    if old is not None and old.content_hash == _digest(summary):
        return None
    if old is None:
        latest = stored.latest_for(conn, person.attendee_id)
        if latest is not None and latest.state == "revoked":
            return None  # revoked stays revoked until an organiser reissues
    number = issue(conn, ctx, person.attendee_id, summary, old)
    return _Change(person.attendee_id, "issued" if old is None else "superseded", old and old.number, number)


def refresh(conn: Conn, ctx: AppContext, attendee_id: str) -> None:
    """Bring one attendee's certificate up to date (`/certificate` does before it answers), telling
    them as `check` would."""
    if not released(conn):
        return
    person = person_credits(conn, ctx, attendee_id)
    change = None if person is None else _bring_up_to_date(conn, ctx, person)
    if change is not None:
        _tell(conn, ctx, [change])


def _tell(conn: Conn, ctx: AppContext, changes: list[_Change]) -> None:
    """Queue, once per change (the outbox key names the number), the message that tells an attendee
    on Telegram their certificate was superseded (fetch the new one) or withdrawn."""
    planned = []
    for change in changes:
        if change.kind == "issued":
            continue
        row = attendees.get_attendee(conn, change.attendee_id)
        if row is None or row.telegram_user_id is None:
            continue
        with i18n.speaking(ctx.chosen_languages.get(row.telegram_user_id) or ctx.event_language):
            if change.new is not None:
                text = i18n._(
                    "Your attendance changed, so your certificate was reissued as {number}. "
                    "Send /certificate to get the new one."
                ).format(number=numbers.shown(change.new))
            else:
                text = i18n._(
                    "Your attendance changed and no longer earns credits, so your certificate {number} "
                    "is no longer valid."
                ).format(number=numbers.shown(change.old))
        planned.append(
            outbox.Planned(
                row.telegram_user_id,
                {"method": "sendMessage", "params": {"chat_id": row.telegram_user_id, "text": text}},
                dedupe_key=f"certificate-new:{change.new}" if change.new else f"certificate-withdrawn:{change.old}",
            )
        )
    if planned:
        broadcast = outbox.create_broadcast(conn, "announcement", ctx.clock(), audience="superseded")
        outbox.enqueue(conn, broadcast, planned, ctx.clock())
        ctx.outbox_changed()


# ---------------------------------------------------------------- the periodic check


@dataclass(frozen=True)
class Check:
    """What one pass of `check` did: `looked_at` attendees worked out again (`whole`: everyone),
    and the certificates `superseded`, `withdrawn` and `issued` (first ones)."""

    looked_at: int = 0
    whole: bool = False
    superseded: int = 0
    withdrawn: int = 0
    issued: int = 0


CHUNK = 100  # attendees brought up to date per transaction (about 0.4 s of the database's time)


def _inputs(conn: Conn, ctx: AppContext) -> dict:
    now = ctx.clock()
    return {
        "made_from": stored.inputs_digest(conn),
        "ended": stored.ended_sessions(conn, now),
        "log": stored.last_log_id(conn),
    }


def _who(conn: Conn, before: dict, now: dict) -> list[str] | None:
    """The attendees to work out again since the pass that saw `before`; None: everyone."""
    if before.get("made_from") != now["made_from"] or not isinstance(before.get("log"), int):
        return None
    people = set(stored.people_logged_since(conn, before["log"])) if before["log"] != now["log"] else set()
    if before.get("ended") != now["ended"]:
        changed = set(now["ended"]) ^ set(before.get("ended") or [])
        people |= set(stored.people_of_sessions(conn, sorted(changed)))
    return sorted(people)


async def check(ctx: AppContext) -> Check:
    """The pass the bot runs every minute once certificates are released (`bot.telegram.certificate_check`),
    and `release`, the ZIP and send run first: everyone whose credited attendance changed since their
    certificate was issued (a session ended with their visit in it, a late check-out, an organiser's
    undo or override, a one-room change...) gets a new number, the old one is superseded (or
    withdrawn, with no credits left) and they are told, in the transaction that changes it.
    Idempotent: nobody is told twice.

    Cheap when nothing changed: one read compares a digest of what certificates are made from
    (`inputs_digest`: sessions, credit rule, one-room, release, names), the sessions that have ended
    and the last attendance row with what the previous pass saw. New attendance rows: only the
    people they name are worked out again; a session that ended: only the people registered for it
    or recorded in it. Anything else (or the first pass): everyone, `CHUNK` attendees a transaction,
    so check-ins are never held up for long."""

    def plan(conn: Conn) -> tuple[dict, list[str], bool] | None:
        if not released(conn):
            return None
        now = _inputs(conn, ctx)
        before_text = event_settings.get_setting(conn, CHECKED_KEY)
        before = json.loads(before_text) if before_text else {}
        if before == now:
            return None  # nothing changed: nothing to do, nothing to write
        people = _who(conn, before, now)
        return now, (stored.everyone_to_check(conn) if people is None else people), people is None

    planned = await ctx.db.read(plan)
    if planned is None:
        return Check()
    inputs, people, whole = planned
    changes: list[_Change] = []

    def write(conn: Conn, chunk: list[str]) -> list[_Change]:
        if not released(conn):
            return []
        found = [
            change
            for attendee_id in chunk
            if (person := person_credits(conn, ctx, attendee_id)) is not None
            and (change := _bring_up_to_date(conn, ctx, person)) is not None
        ]
        _tell(conn, ctx, found)
        return found

    for start in range(0, len(people), CHUNK):
        chunk = people[start : start + CHUNK]
        changes += await ctx.db.write(lambda conn, chunk=chunk: write(conn, chunk))
    await ctx.db.write(lambda conn: event_settings.set_setting(conn, CHECKED_KEY, json.dumps(inputs)))
    kinds = [change.kind for change in changes]
    return Check(len(people), whole, kinds.count("superseded"), kinds.count("withdrawn"), kinds.count("issued"))
