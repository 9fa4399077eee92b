"""Certificates of attendance (README "Certificates"): release, revoke, supersede, build, verify.

* `release` (`/certificates release`, `attendance-admin certificates release`) issues a certificate
  to every attendee with credits (`bot.services.credits`), each with a random number
  (`bot.domain.certificate_numbers`); before release, `/certificate` says they are not out yet.
* After release, certificates follow attendance by themselves (`bot.services.certificate_updates`:
  `check` every minute in the bot, in `release` once it is recorded, and before the ZIP and send;
  `refresh` for one attendee in `/certificate`): an attendee whose credited attendance changed
  gets a new number, the old one is `superseded` (its page names the newer), and they are told
  once through the outbox, in the same transaction.
* `revoke` (`/certificates revoke REG-0042`) revokes an attendee's valid certificate, for good:
  releasing again, `check` and every other use case leave that attendee without one until an
  organiser decides otherwise with `reissue` (`/certificates reissue REG-0042`), which gives them a
  new number with their credits of the moment (the revoked number stays revoked).
* A certificate's PDF is built (in the attendee's language, signed) once, outside the transaction
  (`pdfs`), and kept with it: `/certificate`, the ZIP and the outbox send the same file. The outbox
  carries it as `{"method": "sendDocument", "document_from": "certificate:<number>"}`, resolved
  at send time (`document_for`).
* `lookup` answers the verification page.

The signing key: the organiser's PKCS#12 (`CERTIFICATE_PKCS12`, checked at start by `bot.config`)
or one made on first use and kept in the settings table (`signing_identity`); it is never logged.
The issuer and the accreditation statement printed on a certificate: the settings table's
`certificate_issuer` / `certificate_statement` when set, else `CERTIFICATE_ISSUER` /
`CERTIFICATE_STATEMENT`, else the event's name and no statement.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from bot.domain import certificate_numbers as numbers
from bot.domain.times import from_db, to_db
from bot.files import certificate_batch, certificate_signing
from bot.files.certificate_pdf import Certificate, SessionLine
from bot.services import certificate_updates as updates
from bot.services.context import AppContext, reads, writes
from bot.storage import agenda, attendees, event_settings, outbox
from bot.storage import certificates as stored
from bot.storage.sql import Conn

log = logging.getLogger(__name__)
SECRET_KEY = "certificate_secret"
KEY_KEY, CERT_KEY = "certificate_signing_key", "certificate_signing_cert"
ISSUER_KEY, STATEMENT_KEY = "certificate_issuer", "certificate_statement"
DOCUMENT_PREFIX = "certificate:"


class CertificateRefusal(Exception):
    """`code`: not_released, none (no certificate for the asking attendee), revoked (theirs was),
    unknown_attendee, nothing_to_revoke; for `reissue`: already_valid (details: number), no_credits."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Verification:
    number: str
    name: str
    event_name: str
    total: str
    issued_at: datetime
    state: str
    superseded_by: str | None
    sessions: tuple[SessionLine, ...] = ()


# ---------------------------------------------------------------- inside a transaction


def _secret(conn: Conn) -> str:
    secret = event_settings.get_setting(conn, SECRET_KEY)
    if secret is None:
        import secrets

        secret = secrets.token_hex(32)
        event_settings.set_setting(conn, SECRET_KEY, secret)
    return secret


# ---------------------------------------------------------------- use cases


async def release(ctx: AppContext) -> int:
    """Release certificates (again): everyone's brought up to date (`certificate_updates.check`, a
    whole pass, since the release time is among what it compares); returns how many numbers were
    issued now."""

    def mark(conn: Conn) -> None:
        event_settings.set_setting(conn, updates.RELEASED_KEY, to_db(ctx.clock()))
        _secret(conn)

    await ctx.db.write(mark)
    done = await updates.check(ctx)
    return done.issued + done.superseded


@writes
def revoke(conn: Conn, ctx: AppContext, attendee_id: str) -> str:
    """Revoke an attendee's valid certificate. Final for that person: releasing again, the periodic
    `check`, `/certificate`, send and the ZIP give them nothing new until an organiser `reissue`s."""
    if attendees.get_attendee(conn, attendee_id) is None:
        raise CertificateRefusal("unknown_attendee", attendee_id=attendee_id)
    row = stored.valid_for(conn, attendee_id)
    if row is None:
        raise CertificateRefusal("nothing_to_revoke", attendee_id=attendee_id)
    stored.revoke(conn, row.number, ctx.clock())
    return row.number


@writes
def reissue(conn: Conn, ctx: AppContext, attendee_id: str) -> str:
    """`/certificates reissue REG-0042`: the organiser's explicit decision to give an attendee whose
    certificate was revoked a new one (a new number, their credits now; the revoked number stays
    revoked). Refused before release, for an unknown attendee, one who already holds a valid
    certificate, or one without credits. Returns the new number."""
    if not updates.released(conn):
        raise CertificateRefusal("not_released")
    person = updates.person_credits(conn, ctx, attendee_id)
    if person is None:
        raise CertificateRefusal("unknown_attendee", attendee_id=attendee_id)
    existing = stored.valid_for(conn, person.attendee_id)
    if existing is not None:
        raise CertificateRefusal("already_valid", attendee_id=person.attendee_id, number=numbers.shown(existing.number))
    summary = updates.summary_of(person)
    if not summary["sessions"]:
        raise CertificateRefusal("no_credits", attendee_id=person.attendee_id)
    return updates.issue(conn, ctx, person.attendee_id, summary, None)


@writes
def mine(conn: Conn, ctx: AppContext, user_id: int) -> tuple[str, str]:
    """(number, attendee id) of the certificate of the attendee linked to `user_id`, refreshed."""
    if not updates.released(conn):
        raise CertificateRefusal("not_released")
    person = attendees.attendee_for_user(conn, user_id)
    if person is None:
        raise CertificateRefusal("unknown_attendee", attendee_id="")
    updates.refresh(conn, ctx, person.attendee_id)
    row = stored.valid_for(conn, person.attendee_id)
    if row is None:
        latest = stored.latest_for(conn, person.attendee_id)
        raise CertificateRefusal("revoked" if latest is not None and latest.state == "revoked" else "none")
    return row.number, person.attendee_id


async def everyone(ctx: AppContext) -> list[str]:
    """Numbers of every valid certificate, brought up to date first (`certificate_updates.check`)."""
    await updates.check(ctx)
    return await _all_valid(ctx)


@reads
def _all_valid(conn: Conn, ctx: AppContext) -> list[str]:
    if not updates.released(conn):
        raise CertificateRefusal("not_released")
    return [row.number for row in stored.all_valid(conn)]


async def queue_send(ctx: AppContext, created_by: int | None = None) -> tuple[int, int]:
    """Queue each eligible attendee's certificate to their Telegram chat, once per certificate
    (the outbox key is the number), brought up to date first. Returns (broadcast id, queued)."""
    await updates.check(ctx)
    return await _queue_send(ctx, created_by)


@writes
def _queue_send(conn: Conn, ctx: AppContext, created_by: int | None) -> tuple[int, int]:
    if not updates.released(conn):
        raise CertificateRefusal("not_released")
    planned = []
    for row in stored.all_valid(conn):
        person = attendees.get_attendee(conn, row.attendee_id)
        if person is None or person.telegram_user_id is None:
            continue
        payload = {
            "method": "sendDocument",
            "params": {"chat_id": person.telegram_user_id},
            "document_from": f"{DOCUMENT_PREFIX}{row.number}",
        }
        planned.append(outbox.Planned(person.telegram_user_id, payload, dedupe_key=f"certificate:{row.number}"))
    broadcast = outbox.create_broadcast(
        conn, "announcement", ctx.clock(), created_by=created_by, audience="certificates"
    )
    queued = outbox.enqueue(conn, broadcast, planned, ctx.clock())
    ctx.outbox_changed()
    return broadcast, queued


@reads
def lookup(conn: Conn, ctx: AppContext, token: str) -> Verification | None:
    """What the verification page shows for a link; None for an unknown or altered one."""
    secret = event_settings.get_setting(conn, SECRET_KEY)
    number = numbers.verify(secret, token) if secret else None
    row = stored.get(conn, number) if number else None
    if row is None:
        return None
    summary = json.loads(row.summary)
    return Verification(
        numbers.shown(row.number),
        summary["name"],
        ctx.event_name,
        summary["total"],
        row.issued_at,
        row.state,
        numbers.shown(row.superseded_by) if row.superseded_by else None,
        tuple(SessionLine(t, from_db(at), int(m), Decimal(c)) for t, at, m, c in summary.get("sessions", [])),
    )


# ---------------------------------------------------------------- the PDFs


@dataclass(frozen=True)
class _Job:
    number: str
    certificate: Certificate


def _job(conn: Conn, ctx: AppContext, number: str) -> tuple[_Job | None, bytes | None]:
    existing = stored.pdf(conn, number)
    if existing is not None:
        return None, existing
    row = stored.get(conn, number)
    summary = json.loads(row.summary)
    person = attendees.get_attendee(conn, row.attendee_id)
    language = ctx.event_language
    if person is not None and person.telegram_user_id is not None:
        language = ctx.chosen_languages.get(person.telegram_user_id) or language
    sessions = agenda.all_sessions(conn)
    base = (ctx.settings.public_url or "").rstrip("/")
    certificate = Certificate(
        number=numbers.shown(number),
        event_name=ctx.event_name,
        event_starts=min((s.starts_at for s in sessions), default=row.issued_at),
        event_ends=max((s.ends_at for s in sessions), default=row.issued_at),
        attendee_name=summary["name"],
        attendee_id=row.attendee_id,
        sessions=tuple(SessionLine(t, from_db(at), int(m), Decimal(c)) for t, at, m, c in summary["sessions"]),
        total_credits=Decimal(summary["total"]),
        issuer=event_settings.get_setting(conn, ISSUER_KEY) or ctx.settings.certificate_issuer or ctx.event_name,
        statement=event_settings.get_setting(conn, STATEMENT_KEY) or ctx.settings.certificate_statement or "",
        issued_at=row.issued_at,
        verify_url=f"{base}/verify/{numbers.token(_secret(conn), number)}",
        timezone=ctx.timezone,
        language=language,
    )
    return _Job(number, certificate), None


def signing_identity(conn: Conn, ctx: AppContext) -> certificate_signing.Identity:
    path = ctx.settings.certificate_pkcs12  # opened once at start already (bot.config)
    if path is not None:
        return certificate_signing.load_pkcs12(Path(path).read_bytes(), ctx.settings.certificate_pkcs12_password)
    key, cert = event_settings.get_setting(conn, KEY_KEY), event_settings.get_setting(conn, CERT_KEY)
    if key is None or cert is None:
        identity = certificate_signing.new_identity(ctx.event_name, ctx.clock())
        event_settings.set_setting(conn, KEY_KEY, identity.key_pem.decode())
        event_settings.set_setting(conn, CERT_KEY, identity.cert_pem.decode())
        return identity
    return certificate_signing.Identity(key.encode(), cert.encode())


async def pdfs(ctx: AppContext, numbers_wanted: list[str]) -> dict[str, bytes]:
    """The signed PDF of each certificate, built the first time and kept: in a worker thread, or
    over worker processes for a batch (`bot.files.certificate_batch`)."""

    def gather(conn: Conn):
        return signing_identity(conn, ctx), [(n, *_job(conn, ctx, n)) for n in numbers_wanted]

    identity, jobs = await ctx.db.write(gather)
    done = {n: existing for n, job, existing in jobs if existing is not None}
    todo = [job for _, job, existing in jobs if existing is None]
    if todo:
        contents = await asyncio.to_thread(certificate_batch.signed_pdfs, [job.certificate for job in todo], identity)
        built = list(zip(todo, contents, strict=True))

        def keep(conn: Conn) -> None:
            for job, content in built:
                stored.store_pdf(conn, job.number, job.certificate.language, content)

        await ctx.db.write(keep)
        done.update({job.number: content for job, content in built})
    return done


async def document_for(ctx: AppContext, reference: str) -> tuple[str, bytes] | None:
    """The outbox's `document_from`: (file name, PDF) for `certificate:<number>`, or None."""
    if not reference.startswith(DOCUMENT_PREFIX):
        return None
    number = reference[len(DOCUMENT_PREFIX) :]
    found = await pdfs(ctx, [number])
    return (f"certificate-{numbers.shown(number)}.pdf", found[number]) if number in found else None
