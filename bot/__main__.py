"""`python -m bot`: run the attendance bot (polling, or webhook when WEBHOOK_URL is set; a web server when
webhook mode or PUBLIC_URL (the scanner Mini App) needs one).

A start that cannot succeed (a DATABASE_PATH that cannot hold the database, a
database that cannot store anything (a full disk), a refused token, an
unreachable Bot API server, a webhook Telegram refuses, a `StartupRefused` from
the event database) ends with
one line on stderr saying what to fix, and exit code 2, like a bad setting:
whoever runs `make run` needs the fix, not a traceback. The sentences live in
`bot.telegram.startup_texts`.

Nothing is created before Telegram has answered getMe: a start refused for the
token or the network leaves no database file behind, and pins no time zone. An
existing event database is opened first, so its own refusals (another
EVENT_TIMEZONE) come before any network call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

from dotenv import find_dotenv, load_dotenv
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import Application

from bot.config import ConfigError, Settings, load_settings
from bot.services import scanning
from bot.services.context import AppContext, StartupRefused, build_context, remember_bot_username
from bot.storage import database_file
from bot.storage.database_file import DatabaseUnusable
from bot.storage.db import Database, StorageUnavailable
from bot.telegram import certificate_check, reminders
from bot.telegram import startup_texts as texts
from bot.telegram.application import application_for, attach_event
from bot.telegram.menus import publish_commands
from bot.telegram.outbox import OUTBOX, OutboxSender
from bot.telegram.request import RetryingRequest
from bot.telegram.updates import UpdateProcessor, poll
from bot.web.server import serve

log = logging.getLogger("bot")
EXIT_CANNOT_START = 2
STOP_GRACE = 10.0  # seconds a background task has to finish its requests in flight at a stop
RESTART_PAUSE = 5.0  # seconds before a background task that failed is started again


def _innermost_reason(exc: BaseException) -> str:
    """The operating system's words if there are any ("Connection refused"), else PTB's."""
    reason = str(exc).removeprefix("httpx.")
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno and cause.errno > 0:
            reason = os.strerror(cause.errno)  # asyncio's own text for a refused connection names no reason
        elif isinstance(cause, OSError) and cause.strerror:
            reason = cause.strerror  # e.g. a failed name lookup
        cause = cause.__cause__ or cause.__context__
    return reason


def _from_transport(exc: NetworkError) -> bool:
    """PTB raises NetworkError both for a failed connection (caused by an httpx error) and for
    an unexpected HTTP status (no cause, or a failed parse): only the first is "cannot be reached"."""
    return exc.__cause__ is not None and not isinstance(exc.__cause__, TelegramError)


async def _first_contact(application: Application, settings: Settings) -> None:
    """Initialize the application (its getMe checks the token and the server), turning
    the failures a person can fix into `StartupRefused`."""
    request = application.bot.request
    quiet = request.first_contact() if isinstance(request, RetryingRequest) else contextlib.nullcontext()
    token, api_url = settings.bot_token, settings.telegram_api_url
    try:
        with quiet:
            await application.initialize()
    except TelegramError as exc:
        await application.bot.shutdown()
        if isinstance(exc, InvalidToken):
            # PTB's own message holds the token; the cause holds Telegram's answer.
            answer = str(exc.__cause__ or "")
            refusal = texts.token_not_found(api_url) if "Not Found" in answer else texts.TOKEN_REFUSED
        elif isinstance(exc, TimedOut) or (isinstance(exc, NetworkError) and _from_transport(exc)):
            refusal = texts.server_unreachable(api_url, texts.one_line(_innermost_reason(exc), token))
        else:
            refusal = texts.server_answer_unusable(api_url, texts.one_line(str(exc), token))
        raise StartupRefused(refusal) from None


async def _keep_running(name: str, work: Callable[[asyncio.Event], Awaitable[None]], done: asyncio.Event) -> None:
    """`work(done)` until `done` is set; started again after a pause if it fails (a bug must not
    silently end every broadcast until the next restart)."""
    while not done.is_set():
        try:
            await work(done)
        except Exception:
            log.exception("%s failed; starting it again in %.0f s", name, RESTART_PAUSE)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), RESTART_PAUSE)


@contextlib.asynccontextmanager
async def _background(application: Application, ctx: AppContext) -> AsyncIterator[None]:
    """The work the bot does on its own initiative, beside the updates: the outbox sender (kept in
    `bot_data[OUTBOX]`, where announcements add their observers), the reminder scheduler and the
    certificate check. Started once the application is initialized and unfinished updates are
    resumed, in polling and webhook mode alike; at the end they are told to stop: the sender claims
    nothing more and finishes the requests in flight (anything still running after `STOP_GRACE` is
    cancelled)."""
    sender = OutboxSender(application, ctx)
    application.bot_data[OUTBOX] = sender
    done = asyncio.Event()
    tasks = [
        asyncio.create_task(_keep_running("the outbox sender", sender.run, done), name="outbox"),
        # Queues each reminder when it comes due (bot.services.reminders); the sender sends it.
        asyncio.create_task(
            _keep_running("the reminder scheduler", lambda stop: reminders.run(ctx, stop), done), name="reminders"
        ),
        # Supersedes released certificates whose attendance changed (bot.services.certificate_updates.check).
        asyncio.create_task(
            _keep_running("the certificate check", lambda stop: certificate_check.run(ctx, stop), done),
            name="certificates",
        ),
    ]
    try:
        yield
    finally:
        done.set()
        _, late = await asyncio.wait(tasks, timeout=STOP_GRACE)
        for task in late:
            log.warning("%s did not stop within %.0f s; cancelled", task.get_name(), STOP_GRACE)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    database_file.check(settings.database_path)  # only looks: creates nothing
    db = Database(settings.database_path)
    try:
        application = application_for(settings)
        if settings.database_path.exists():  # an existing event refuses a wrong start before any network call
            ctx = await build_context(settings, await db.open())
            await _first_contact(application, settings)
        else:  # a new event is created only once Telegram has answered
            await _first_contact(application, settings)
            try:
                ctx = await build_context(settings, await db.open())
            except BaseException:
                await application.shutdown()
                raise
        attach_event(application, ctx)
        async with application:
            await remember_bot_username(ctx, application.bot.username)
            await publish_commands(application, ctx, await scanning.scanner_ids(ctx))
            processor = UpdateProcessor(application, ctx)
            await processor.resume_pending()
            log.info("@%s is running (database %s)", application.bot.username, settings.database_path)
            if not settings.admin_ids:
                log.warning(texts.ADMIN_IDS_EMPTY)
            async with _background(application, ctx):
                if settings.webhook_url or settings.public_url:
                    try:
                        await serve(application, processor, settings, stop)
                    except (BadRequest, OSError) as exc:  # set_webhook refused, or the port cannot be bound
                        await processor.drain()
                        reason = texts.one_line(str(exc), settings.bot_token)
                        if isinstance(exc, BadRequest):
                            raise StartupRefused(texts.webhook_refused(settings.webhook_url, reason)) from None
                        raise StartupRefused(
                            texts.cannot_listen(settings.web_listen, settings.web_port, reason)
                        ) from None
                else:
                    await application.bot.delete_webhook()
                    await poll(application, processor, stop)
            await processor.drain()
    finally:
        await db.close()


def main() -> None:
    load_dotenv(find_dotenv(usecwd=True))  # the .env of the working directory
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_START)

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    try:
        asyncio.run(runner())
    except StartupRefused as exc:
        print(f"Cannot start: {texts.one_line(str(exc), settings.bot_token, limit=None)}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_START)
    except DatabaseUnusable as exc:
        print(f"Cannot start: {texts.database_unusable(exc)}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_START)
    except StorageUnavailable as exc:  # it cannot even open the database (a full disk: no room for its -shm)
        print(f"Cannot start: {texts.cannot_store(settings.database_path, exc.kind, exc.reason)}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_START)


if __name__ == "__main__":
    main()
