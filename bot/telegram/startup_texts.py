"""What `python -m bot` says when it cannot start, or starts in a state worth a warning.

Each refusal is one line, printed as "Cannot start: <sentence>" (see `bot.__main__`),
that names the setting to fix. Every sentence that carries text from elsewhere (an
exception, a URL) goes through `one_line`, so the bot token cannot reach the terminal.
"""

from __future__ import annotations

from bot.storage.database_file import DatabaseUnusable, Problem

TELEGRAM_API_ROOT = "https://api.telegram.org"
MAX_REASON = 200

ADMIN_IDS_EMPTY = (
    "ADMIN_IDS is empty: nobody can use the organiser commands. "
    "Put your numeric Telegram id in ADMIN_IDS (ask @userinfobot)."
)
TOKEN_REFUSED = (
    "Telegram refused BOT_TOKEN (401 Unauthorized). "
    "Copy the token again from @BotFather (/mybots → API Token) into .env."
)


def one_line(text: str, token: str | None, limit: int | None = MAX_REASON) -> str:
    """`text` on one line, shortened to `limit` characters, without the token (exception texts
    can hold request URLs, and those hold the token)."""
    if token:
        text = text.replace(token, "<BOT_TOKEN>")
    line = " ".join(text.split())
    return line if limit is None or len(line) <= limit else line[: limit - 1] + "…"


def api_root(telegram_api_url: str | None) -> str:
    return (telegram_api_url or TELEGRAM_API_ROOT).rstrip("/")


def token_not_found(telegram_api_url: str | None) -> str:
    """A 404 to getMe: Telegram's answer to a malformed token, or a TELEGRAM_API_URL that is no Bot API server."""
    return (
        f"the Bot API server at {api_root(telegram_api_url)} answered 404 Not Found to BOT_TOKEN. "
        "Check TELEGRAM_API_URL (the server's root, without /bot) and copy the token again from @BotFather."
    )


def server_unreachable(telegram_api_url: str | None, reason: str) -> str:
    return (
        f"the Bot API server at {api_root(telegram_api_url)} cannot be reached: {reason}. "
        "Check the network or TELEGRAM_API_URL."
    )


def server_answer_unusable(telegram_api_url: str | None, reason: str) -> str:
    return (
        f"the Bot API server at {api_root(telegram_api_url)} answered with an error: {reason}. "
        "Check TELEGRAM_API_URL (the root of a Bot API server), or try again later."
    )


def webhook_refused(webhook_url: str, reason: str) -> str:
    return (
        f"Telegram refused WEBHOOK_URL={webhook_url}: {reason}. Use a public https:// address on port 443, 80, 88 "
        "or 8443 that reaches this bot, or leave WEBHOOK_URL empty to poll instead."
    )


def cannot_listen(listen: str, port: int, reason: str) -> str:
    return f"cannot listen on {listen}:{port} for the web server: {reason}. Change WEB_LISTEN or WEB_PORT."


def database_unusable(problem: DatabaseUnusable) -> str:
    """DATABASE_PATH cannot hold the event's database (`bot.storage.database_file.check`); the bot and
    the command line both say it this way."""
    path, culprit, directory = problem.path, problem.culprit, problem.directory
    setting = f"DATABASE_PATH={path}"
    match problem.problem:
        case Problem.NO_DIRECTORY:
            return (
                f"{setting}: the directory {culprit} does not exist. Create it (mkdir -p {culprit}) "
                "or set DATABASE_PATH to a file in an existing directory."
            )
        case Problem.NOT_A_DIRECTORY:
            return f"{setting}: {culprit} is a file, not a directory. Set DATABASE_PATH to a file in a directory."
        case Problem.IS_A_DIRECTORY:
            return (
                f"{setting} is a directory, not a database file. Set DATABASE_PATH to a file in it, "
                f"e.g. DATABASE_PATH={path / 'attendance.db'}."
            )
        case Problem.NOT_SQLITE:
            return (
                f"{setting} is not an SQLite database ({problem.reason}). Set DATABASE_PATH to the event's "
                "database (or restore it from a backup), or to a new file name to start a new event."
            )
        case _:
            return (
                f"{setting}: {culprit} cannot be written by this user. Let the user running the bot write to "
                f"{directory} and to {path.name} in it (SQLite also writes {path.name}-wal and {path.name}-shm there)."
            )


_CANNOT_STORE = {
    "full": ("the disk is full", "free some space on its disk"),
    "read_only": ("it is read-only", "let the user running the bot write to the database file and its directory"),
    "io": (
        "the disk fails to write (an I/O error, or the file was made immutable)",
        "check the disk (dmesg) and that the database file can be written (lsattr)",
    ),
}


def cannot_store(path: object, kind: str, reason: str) -> str:
    """The database cannot store anything right now (`bot.storage.db.StorageUnavailable`): the bot's
    log and the command line both say it this way."""
    what, advice = _CANNOT_STORE.get(kind, _CANNOT_STORE["io"])
    return f"The database {path} cannot store anything: {what} ({one_line(reason, None)}). To fix: {advice}."
