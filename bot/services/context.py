"""What every use case needs: the database, the settings, the clock, the secret."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.storage import event_settings, languages
from bot.storage.db import Database
from bot.storage.sql import Conn

T = TypeVar("T")
UTC_ZONE = ZoneInfo("UTC")
TIMEZONE_KEY = "event_timezone"
EVENT_NAME_KEY = "event_name"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Person:
    """The Telegram user behind an update, as far as the services care."""

    user_id: int
    first_name: str = ""
    last_name: str = ""
    username: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.username or str(self.user_id))


@dataclass
class AppContext:
    """What every use case needs. `timezone` and `event_name` are the event's
    own, kept in its database (see `build_context`)."""

    db: Database
    settings: Settings
    badge_secret: str = field(repr=False)
    timezone: ZoneInfo = UTC_ZONE
    event_name: str = ""
    # The language of everyone whose own is not supported, of badges and posters (EVENT_LANGUAGE).
    event_language: str = "en"
    # user id -> the language they chose with /language; read on every update, so kept here
    # (loaded at start, written through by `bot.services.languages`).
    chosen_languages: dict[int, str] = field(default_factory=dict, repr=False)
    clock: Callable[[], datetime] = utc_now
    bot_username: str | None = None
    # Told the id of a session whose attendance just changed (room displays push on it). Called
    # from the database thread, before the change commits: it must only schedule work.
    attendance_changed: Callable[[str], None] = field(default=lambda session_id: None, repr=False)
    # Told that messages were queued in the outbox (the sender wakes on it). Called from the
    # database thread, before the queueing commits: it must only schedule work.
    outbox_changed: Callable[[], None] = field(default=lambda: None, repr=False)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_ids

    def deep_link(self, payload: str) -> str:
        if not self.bot_username:
            raise BotUsernameUnknown()
        return f"https://t.me/{self.bot_username}?start={payload}"


class StartupRefused(Exception):
    """The bot or the command line must not start; the message is one line saying what to fix."""


class BotUsernameUnknown(Exception):
    """Links need the bot's @username: known once the bot has started, or from BOT_USERNAME."""


def writes(body: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """Make `body(conn, ctx, ...)` the use case `await use_case(ctx, ...)`, run
    as one write transaction in the database thread (see `Database.write`)."""

    @functools.wraps(body)
    async def use_case(ctx: AppContext, *args, **kwargs) -> T:
        return await ctx.db.write(lambda conn: body(conn, ctx, *args, **kwargs))

    return use_case


def reads(body: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """Like `writes`, for a use case that only reads: a write inside it fails."""

    @functools.wraps(body)
    async def use_case(ctx: AppContext, *args, **kwargs) -> T:
        return await ctx.db.read(lambda conn: body(conn, ctx, *args, **kwargs))

    return use_case


async def build_context(settings: Settings, db: Database, clock: Callable[[], datetime] = utc_now) -> AppContext:
    """The event as its database knows it: the badge secret (from the environment,
    else generated once and kept), the event's time zone and name, the bot's username.

    The time zone is part of the event: the first start records EVENT_TIMEZONE
    (UTC if unset), and a later start or command-line run with another
    EVENT_TIMEZONE is refused with `StartupRefused`, because every session time
    would silently shift. Changing an event's zone is an organiser command
    (`bot.services.event.change_timezone`). A set EVENT_NAME replaces the stored
    name: renaming shifts nothing.
    """

    def load(conn: Conn) -> tuple[str, str, str, str | None]:
        secret = settings.badge_secret
        if secret is None:
            secret = event_settings.get_setting(conn, "badge_secret")
            if secret is None:
                secret = secrets.token_urlsafe(32)
                event_settings.set_setting(conn, "badge_secret", secret)
        stored_zone = event_settings.get_setting(conn, TIMEZONE_KEY)
        asked = settings.event_timezone.key if settings.event_timezone else None
        if stored_zone is None:
            stored_zone = asked or "UTC"
            event_settings.set_setting(conn, TIMEZONE_KEY, stored_zone)
        elif asked is not None and asked != stored_zone:
            raise StartupRefused(
                f"this event's database ({settings.database_path}) keeps time zone {stored_zone}, but EVENT_TIMEZONE "
                f"is {asked}. Set EVENT_TIMEZONE={stored_zone} (or remove it), or change the event's zone with "
                f"attendance-admin timezone {asked}."
            )
        name = settings.event_name or event_settings.get_setting(conn, EVENT_NAME_KEY) or ""
        if settings.event_name:
            event_settings.set_setting(conn, EVENT_NAME_KEY, settings.event_name)
        username = settings.bot_username or event_settings.get_setting(conn, "bot_username")
        return secret, stored_zone, name, username

    secret, zone, name, username = await db.write(load)
    return AppContext(
        db=db,
        settings=settings,
        badge_secret=secret,
        timezone=ZoneInfo(zone),
        event_name=name,
        event_language=settings.event_language,
        chosen_languages=await db.read(languages.chosen_languages),
        clock=clock,
        bot_username=username,
    )


async def remember_bot_username(ctx: AppContext, username: str) -> None:
    ctx.bot_username = ctx.settings.bot_username or username
    await ctx.db.write(event_settings.set_setting, "bot_username", username)
