"""Every sentence of the command line that the chat does not share, and the
command line's own `Syntax`, so shared sentences (`bot.chat_texts`) name
`attendance-admin pins`, never `/pins`."""

from __future__ import annotations

from pathlib import Path

from bot.chat_texts import GENPINS_CONFIRM as CHAT_GENPINS_CONFIRM
from bot.chat_texts import Syntax
from bot.storage.database_file import DatabaseUnusable
from bot.telegram.startup_texts import cannot_store as startup_cannot_store
from bot.telegram.startup_texts import database_unusable as startup_database_unusable

PROGRAM = "attendance-admin"

CLI = Syntax(
    pins=f"{PROGRAM} pins",
    genpins_new=f"{PROGRAM} genpins new",
    genpins_all=f"{PROGRAM} genpins all --yes",
    shortlinks=f"{PROGRAM} shortlinks",
    shortlinkqr=f"{PROGRAM} shortlink-qr",
    import_files=f"Import a sessions file first: {PROGRAM} import sessions.csv",
    access_usage=f"Usage: {PROGRAM} access SESSION on|off",
    acl_usage=(
        f"Usage: {PROGRAM} acl include (registered or targeted attendees) "
        f"or {PROGRAM} acl exclude (registered attendees only)."
    ),
    capacity_usage=f"Usage: {PROGRAM} capacity SESSION NUMBER|none (e.g. {PROGRAM} capacity S12 80)",
    display_usage=f"Usage: {PROGRAM} display-link SESSION [--revoke]",
    rotation_usage=f"Usage: {PROGRAM} pin-rotate SESSION SECONDS|off (e.g. {PROGRAM} pin-rotate S12 60)",
    window_usage=f"Usage: {PROGRAM} checkin-window MINUTES_BEFORE_START MINUTES_AFTER_END [CHECKOUT_MINUTES_AFTER_END]",
    scanner_usage=f"Usage: {PROGRAM} scanner WHO all|off|SESSION [SESSION ...] (WHO: attendee id, @username or id)",
    shortlink_usage=(
        f"Usage: {PROGRAM} shortlink SLCODE SESSION [POPUP...] · {PROGRAM} shortlink SLCODE off\n"
        f"e.g. {PROGRAM} shortlink SL001 S12 Welcome to the workshop!"
    ),
    attendee=f"{PROGRAM} attendee",
    find_attendee=f"{PROGRAM} attendees TEXT",
    reminders_usage=(
        f"Usage: {PROGRAM} reminders MINUTES|off (minutes before a session starts, e.g. {PROGRAM} reminders 10)"
    ),
    one_room_usage=f"Usage: {PROGRAM} one-room on|off",
    credits_usage=(
        f"Usage: {PROGRAM} credits threshold 80 (a session's whole credits from 80 percent attended) or "
        f"{PROGRAM} credits proportional (credits times the share attended, rounded down to a quarter)"
    ),
)

GENPINS_CONFIRM = CHAT_GENPINS_CONFIRM + " Run again with --yes to confirm."
ANNOUNCE_CONFIRM = "Nothing was queued. Run again with --yes to send it."


def announcement_queued(queued) -> str:
    return (
        f"Announcement {queued.broadcast_id} queued for {queued.recipients} people: the running bot sends it "
        "within a few seconds (its log says when it is done)."
    )


INVITE_LINKS = "invite links"


def wrote(what: str, path: str | Path) -> str:
    return f"Wrote {what} to {path}"


def wrote_badges(count: int, path: str | Path) -> str:
    return f"Wrote {count} badge(s) to {path}"


def wrote_shortlink_qr(count: int, path: str | Path) -> str:
    return f"Wrote {count} check-in poster(s) (A4, 300 DPI) to {path}"


def wrote_report(path: str | Path, rows: int) -> str:
    return f"Wrote {path} ({rows} row(s))"


def backed_up(pages: int, path: str | Path) -> str:
    return f"Backed up {pages} page(s) to {path}"


def backup_damaged(path: str | Path, problems: list[str]) -> str:
    return (
        f"The copy written to {path} failed SQLite's integrity check ({'; '.join(problems[:3])[:200]}), "
        "so it was removed. Check the disk, then run the backup again."
    )


def cannot_store(path: Path, trouble) -> str:
    """The bot's log says the same (`bot.telegram.startup_texts.cannot_store`)."""
    return f"Nothing was changed. {startup_cannot_store(path, trouble.kind, trouble.reason)}"


def no_such_file(name: str) -> str:
    return f"{name}: no such file"


def unlinked(attendee_id: str) -> str:
    return f"{attendee_id} is unlinked."


def shortlink_removed(code: str) -> str:
    return f"Shortlink {code} removed."


def cannot_start(error: Exception) -> str:
    return f"Cannot start: {error}"


def database_unusable(problem: DatabaseUnusable) -> str:
    """The bot's own sentence: both say it the same way."""
    return cannot_start(startup_database_unusable(problem))


# Output files (admin_commands/output.py): one rule for every -o and for backup FILE.
OUTPUT_RULE = (
    "Output files (-o FILE, backup FILE): a directory that does not exist yet is created; a directory given "
    "as FILE gets the command's own file name; the name must end in an extension the command writes "
    "(badges: .zip or .pdf, shortlink-qr: .zip, invites: .csv, report: .xlsx or .csv, backup: .db)."
)


def wrong_extension(name: str, command: str, extensions: tuple[str, ...]) -> str:
    example = Path(name).with_suffix(extensions[0]).name if Path(name).name else f"file{extensions[0]}"
    kinds = " or ".join(filter(None, (", ".join(extensions[:-1]), extensions[-1])))
    return f"Cannot write {name}: {PROGRAM} {command} writes {kinds} files. Name the output e.g. {example}."


def not_a_directory(name: str, parent: Path) -> str:
    return f"Cannot write {name}: {parent} is a file, not a directory. Choose another output name."


def output_is_the_database(name: str) -> str:
    return f"Cannot write {name}: that is the event database itself. Back it up to another file."


def cannot_write(path: Path, reason: str) -> str:
    return f"Cannot write {path}: {reason}. Choose another output name, or let this user write there."


def timezone_now(zone: str) -> str:
    return f"This event's time zone is {zone}. To change it: {PROGRAM} timezone ZONE (e.g. Europe/Paris)"


def timezone_changed(change) -> str:
    if change.old == change.new:
        return f"The event's time zone already is {change.new}; nothing changed."
    return (
        f"Time zone changed from {change.old} to {change.new}. {change.sessions_moved} session(s) keep their "
        f"wall-clock times, so they moved in real time; recorded check-ins keep their real time. If the bot is "
        f"running, restart it with EVENT_TIMEZONE={change.new} (or none)."
    )


def no_event_database(path: Path) -> str:
    return (
        f"No event database at {path}: import files first ({PROGRAM} import sessions.csv ...), "
        "or set DATABASE_PATH to the bot's database."
    )


def new_event_database(path: Path, zone: str) -> str:
    return (
        f"New event database at {path}, time zone {zone} (set EVENT_TIMEZONE before the first import to choose "
        f"another, or change it later with {PROGRAM} timezone)."
    )


NO_ATTENDEES_YET = f"No attendees yet: import an attendees file first ({PROGRAM} import attendees.csv)."


def attendee_lines(lines) -> str:
    """One attendee a line: id, name, groups, and whether the bot knows their Telegram account."""

    def telegram(line) -> str:
        given = "" if not line.telegram else f" (file: {'' if line.telegram.isdigit() else '@'}{line.telegram})"
        return f"Telegram linked{given}" if line.linked else f"Telegram not linked{given}"

    return "\n".join(
        f"{line.attendee_id}  {line.name}  ·  groups: {', '.join(line.groups) or '—'}  ·  {telegram(line)}"
        for line in lines
    )


# ---------------------------------------------------------------- certificates (admin_commands/certificates.py)

CERTIFICATE_REFUSALS = {
    "not_released": f"Certificates are not released yet: run {PROGRAM} certificates release first.",
    "none": "No attendee has a certificate: none of the sessions attended carries credits.",
    "unknown_attendee": "There is no attendee {attendee_id}.",
    "nothing_to_revoke": "{attendee_id} has no valid certificate to revoke.",
    "already_valid": "{attendee_id} already has a valid certificate, {number}: nothing to reissue.",
    "no_credits": "{attendee_id} has no credits, so no certificate to reissue.",
}
CERTIFICATES_USAGE = f"Use {PROGRAM} certificates release | revoke ID | reissue ID | zip -o certificates.zip | send."


def certificate_refusal(code: str, **details: object) -> str:
    return CERTIFICATE_REFUSALS.get(code, CERTIFICATES_USAGE).format(**{"attendee_id": "", **details})


def certificates_released(count: int) -> str:
    return f"Certificates are released: {count} issued now. Attendees get theirs with the bot's certificate command."


def certificate_revoked(number: str, attendee_id: str) -> str:
    return (
        f"Certificate {number} is revoked; its verification page says so. {attendee_id} gets no new one, "
        f"not even from another release, unless you run {PROGRAM} certificates reissue {attendee_id}."
    )


def certificate_reissued(number: str, attendee_id: str) -> str:
    return f"Certificate {number} is issued to {attendee_id}; the bot's certificate command gives it to them."


def wrote_certificates(count: int, path: str | Path) -> str:
    return f"Wrote {count} signed certificate(s) to {path}"


def certificates_queued(count: int) -> str:
    return f"Sending {count} certificate(s) to attendees on Telegram (the running bot sends them)."
