"""Announcements: an organiser's message to the people of a session, or to everyone, through the outbox.

`/announce S12 inside|registered|all <text>` and `/announce everyone <text>` (and the command line's
`attendance-admin announce`) make a `Draft`; `preview` counts its recipients (muted people apart);
nothing is queued until the organiser confirms, and then `send` queues one message per recipient in
one transaction, each with a heading in the recipient's own language (their /language choice, else
the event's) above the organiser's text, which is never translated. The chat keeps the draft in its
confirmation (`bot.services.confirmations`, `Draft.action`), so Send queues exactly what was previewed;
the recipients are those of the audience at the moment of Send.

`/mute` keeps announcements and reminders away from a person (the `muted` table); `/mute off` undoes it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from enum import StrEnum

from bot import chat_texts, i18n
from bot.domain.rules import AclMode
from bot.services import checkin
from bot.services.context import AppContext, reads, writes
from bot.services.errors import OrganiserError, Problem, require_session
from bot.storage import announcements as stored
from bot.storage import outbox
from bot.storage.records import SessionRow

log = logging.getLogger(__name__)
TEXT_LIMIT = 4096  # Telegram's limit for a message's text
CAPTION_LIMIT = 1024  # ... and for a photo's or a document's caption
ACTION_PREFIX = "announce:"
FILE_METHODS = {"photo": ("sendPhoto", "photo"), "document": ("sendDocument", "document")}


class Audience(StrEnum):
    INSIDE = "inside"  # checked in to the session now
    REGISTERED = "registered"  # registered for it (or targeted, when /acl include)
    ALL = "all"  # either
    EVERYONE = "everyone"  # every attendee with a linked Telegram account


@dataclass(frozen=True)
class Draft:
    """What the organiser asked to send: kept as it is between the preview and Send."""

    audience: Audience
    session_id: str | None
    text: str
    file_kind: str | None = None  # "photo" or "document" (a PDF), sent by its Telegram file_id
    file_id: str | None = None

    @property
    def action(self) -> str:
        """The draft as a confirmation's action (see `bot.services.confirmations`)."""
        return ACTION_PREFIX + json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_action(cls, action: str) -> Draft | None:
        if not action.startswith(ACTION_PREFIX):
            return None
        fields = json.loads(action[len(ACTION_PREFIX) :])
        return cls(**{**fields, "audience": Audience(fields["audience"])})

    @property
    def limit(self) -> int:
        return CAPTION_LIMIT if self.file_id else TEXT_LIMIT


@dataclass(frozen=True)
class Preview:
    draft: Draft
    session: SessionRow | None
    recipients: int
    muted: int


@dataclass(frozen=True)
class Queued:
    broadcast_id: int
    recipients: int


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    state: str  # sending, done or stopped
    counts: dict[str, int]
    chat_id: int | None  # the organiser's progress message, edited in place
    message_id: int | None
    created_by: int | None

    def count(self, *states: str) -> int:
        return sum(self.counts.get(s, 0) for s in states)


def draft(words: list[str], text: str, file_kind: str | None = None, file_id: str | None = None) -> Draft:
    """A draft from what the organiser wrote: `everyone`, or a session and inside|registered|all, then the
    text (`words` are the first words, `text` the rest as typed)."""
    if not words:
        raise OrganiserError(Problem.ANNOUNCE_AUDIENCE)
    if len(words) == 1 and words[0].lower() == Audience.EVERYONE:
        session_id, audience = None, Audience.EVERYONE
    elif len(words) == 2 and words[1].lower() in (Audience.INSIDE, Audience.REGISTERED, Audience.ALL):
        session_id, audience = words[0], Audience(words[1].lower())
    else:
        raise OrganiserError(Problem.ANNOUNCE_AUDIENCE)
    text = text.strip()
    if not text and not file_id:
        raise OrganiserError(Problem.ANNOUNCE_EMPTY)
    return Draft(audience, session_id, text, file_kind, file_id)


def _session(conn, draft: Draft) -> SessionRow | None:
    return require_session(conn, draft.session_id) if draft.session_id is not None else None


def _recipients(conn, draft: Draft, session: SessionRow | None) -> list[tuple[int, bool]]:
    include = checkin.acl_mode(conn) is AclMode.INCLUDE_TARGETS
    return stored.recipients(conn, draft.audience, session.session_id if session else None, include)


def _check_length(ctx: AppContext, draft: Draft, session: SessionRow | None) -> None:
    """Refused when the text with the longest heading (whatever the recipient's language) would not fit."""
    longest = max(len(message_text(ctx, draft, session, language)) for language in i18n.LANGUAGES)
    if longest > draft.limit:
        heading = longest - len(draft.text)
        raise OrganiserError(
            Problem.ANNOUNCE_TOO_LONG, length=len(draft.text), most=max(draft.limit - heading, 0), limit=draft.limit
        )


@reads
def preview(conn, ctx: AppContext, draft: Draft) -> Preview:
    session = _session(conn, draft)
    _check_length(ctx, draft, session)
    people = _recipients(conn, draft, session)
    muted = sum(1 for _, is_muted in people if is_muted)
    return Preview(draft, session, len(people) - muted, muted)


def message_text(ctx: AppContext, draft: Draft, session: SessionRow | None, language: str) -> str:
    with i18n.speaking(language):
        heading = chat_texts.announcement_heading(ctx.event_name, session)
    return f"{heading}\n\n{draft.text}" if draft.text else heading


def _payload(ctx: AppContext, draft: Draft, chat_id: int, text: str) -> dict:
    if draft.file_id is None:
        return {"method": "sendMessage", "params": {"chat_id": chat_id, "text": text}}
    method, field = FILE_METHODS[draft.file_kind]
    return {"method": method, "params": {"chat_id": chat_id, field: draft.file_id, "caption": text}}


@writes
def send(
    conn, ctx: AppContext, draft: Draft, created_by: int | None = None, progress: tuple[int, int] | None = None
) -> Queued:
    """Queue the announcement: one message per recipient (muted people left out), in one transaction."""
    session = _session(conn, draft)
    _check_length(ctx, draft, session)
    now = ctx.clock()
    texts: dict[str, str] = {}  # one heading per language, not per person
    planned = []
    for chat_id, is_muted in _recipients(conn, draft, session):
        if is_muted:
            continue
        language = ctx.chosen_languages.get(chat_id) or ctx.event_language
        if language not in texts:
            texts[language] = message_text(ctx, draft, session, language)
        planned.append(outbox.Planned(chat_id, _payload(ctx, draft, chat_id, texts[language])))
    broadcast_id = outbox.create_broadcast(
        conn,
        "announcement",
        now,
        created_by=created_by,
        session_id=session.session_id if session else None,
        audience=draft.audience.value,
        text=draft.text,
    )
    if progress is not None:
        outbox.set_progress_message(conn, broadcast_id, *progress)
    count = outbox.enqueue(conn, broadcast_id, planned, now)
    if count == 0:  # nobody to send to: over at once
        outbox.finish_broadcasts(conn, now)
    ctx.outbox_changed()
    where = f"session {session.session_id} " if session else ""
    log.info(
        "announcement %d queued: %d message(s) to %s%s (by %s)",
        broadcast_id,
        count,
        where,
        draft.audience.value,
        created_by if created_by is not None else "the command line",
    )
    return Queued(broadcast_id, count)


@writes
def stop(conn, ctx: AppContext, user_id: int) -> list[tuple[int, int]]:
    """Stop the organiser's running announcements (and those queued from the command line, which have no
    owner in the chat): what is not yet sent is cancelled. (broadcast id, messages cancelled) of each."""
    stopped = []
    for broadcast in outbox.broadcasts_sending(conn, "announcement"):
        if broadcast.created_by in (user_id, None):
            stopped.append((broadcast.id, outbox.stop_broadcast(conn, broadcast.id, ctx.clock())))
            log.info("announcement %d stopped by %s: %d message(s) cancelled", broadcast.id, user_id, stopped[-1][1])
    return stopped


@reads
def progress(conn, ctx: AppContext, broadcast_id: int) -> Progress | None:
    broadcast = outbox.get_broadcast(conn, broadcast_id)
    if broadcast is None or broadcast.kind != "announcement":
        return None
    return Progress(
        broadcast.id,
        broadcast.state,
        outbox.counts(conn, broadcast.id),
        broadcast.progress_chat_id,
        broadcast.progress_message_id,
        broadcast.created_by,
    )


@writes
def mute(conn, ctx: AppContext, user_id: int, on: bool) -> bool:
    """Mute (or unmute) a person; False if they already were (or were not)."""
    return stored.mute(conn, user_id, ctx.clock()) if on else stored.unmute(conn, user_id)
