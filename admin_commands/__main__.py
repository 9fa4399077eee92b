"""`attendance-admin ...` (or `python -m admin_commands ...`): the organiser's command line, for work at a desk.

Each subcommand calls the same service function as the matching admin bot command,
against the database in DATABASE_PATH (safe while the bot runs: SQLite WAL,
and every write waits for the write lock).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

from admin_commands import backup as backup_command
from admin_commands import certificates as certificates_command
from admin_commands import cli_texts, credits, one_room, output
from admin_commands import reminders as reminders_command
from admin_commands.cli_texts import CLI
from bot import chat_texts
from bot.config import ConfigError, load_settings
from bot.services import (
    access,
    announcements,
    badges,
    dashboard,
    displays,
    event,
    imports,
    people,
    pins,
    reports,
    scanners,
    shortlinks,
)
from bot.services.context import AppContext, BotUsernameUnknown, StartupRefused, build_context
from bot.services.errors import OrganiserError
from bot.storage import database_file
from bot.storage.database_file import DatabaseUnusable
from bot.storage.db import Database, StorageUnavailable

COMMANDS = {}
CREATES_AN_EVENT = {"import"}  # every other command reads an existing event database


def command(name: str, help_text: str):
    def register(fn):
        COMMANDS[name] = (fn, help_text)
        return fn

    return register


def _write(ctx: AppContext, args, data: bytes, line, default_name: str | None = None) -> Path:
    """Every output file, through one rule (admin_commands/output.py)."""
    return output.write(output.wanted(args), data, ctx.settings.database_path, line, default_name)


def _write_or_print(ctx: AppContext, args, data: bytes, what: str) -> None:
    if args.output:
        _write(ctx, args, data, lambda path: cli_texts.wrote(what, path))
    else:
        sys.stdout.write(data.decode("utf-8-sig"))


@command("import", "import sessions / attendees / registrations files (CSV or XLSX)")
async def cmd_import(ctx: AppContext, args) -> int:
    files = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(cli_texts.no_such_file(name), file=sys.stderr)
            return 1
        files.append((path.name, path.read_bytes()))
    reports = await imports.import_files(ctx, files)
    for report in reports:
        print(chat_texts.import_report(report))
    return 0 if all(r.ok for r in reports) else 1


@command("pins", "list every session's IN and OUT PIN")
async def cmd_pins(ctx: AppContext, args) -> int:
    print(chat_texts.pins_table(await pins.list_pins(ctx), CLI))
    return 0


@command("genpins", "generate PINs: 'new' (sessions without) or 'all' (regenerate, needs --yes)")
async def cmd_genpins(ctx: AppContext, args) -> int:
    if args.which == "all" and not args.yes:
        print(cli_texts.GENPINS_CONFIRM, file=sys.stderr)
        return 1
    print(chat_texts.genpins_done(await pins.generate_pins(ctx, args.which), CLI))
    return 0


@command("setpin", "set a session's IN PIN and optionally its OUT PIN")
async def cmd_setpin(ctx: AppContext, args) -> int:
    print(chat_texts.setpin_done(await pins.set_pin(ctx, args.session, args.pin_in, args.pin_out)))
    return 0


@command("pin-rotate", "rotate a session's IN PIN every SECONDS (10-3600), for a room display, or off")
async def cmd_pin_rotate(ctx: AppContext, args) -> int:
    print(chat_texts.rotation_set(await pins.set_pin_rotation(ctx, args.session, args.seconds)))
    return 0


@command("display-link", "the signed link to a session's room display (--revoke: end the earlier ones)")
async def cmd_display_link(ctx: AppContext, args) -> int:
    link = await displays.display_link(ctx, args.session, revoke=args.revoke)
    print(chat_texts.display_link_text(link, ctx.timezone, revoked=args.revoke))
    return 0


@command("dashboard-link", "a signed link to the live dashboard, valid 12 hours (--revoke: end the earlier ones)")
async def cmd_dashboard_link(ctx: AppContext, args) -> int:
    link = await dashboard.dashboard_link(ctx, revoke=args.revoke)
    print(chat_texts.dashboard_link_text(link, ctx.timezone, revoked=args.revoke))
    return 0


@command("invites", "CSV of every attendee's personal invite link")
async def cmd_invites(ctx: AppContext, args) -> int:
    _write_or_print(ctx, args, await people.invites_csv(ctx), cli_texts.INVITE_LINKS)
    return 0


@command("attendees", "look attendees up: id, name, groups, Telegram linked or not (all, or those matching TEXT)")
async def cmd_attendees(ctx: AppContext, args) -> int:
    lines = await people.list_attendees(ctx, args.text)
    print(cli_texts.attendee_lines(lines) if lines else cli_texts.NO_ATTENDEES_YET)
    return 0 if lines else 1


@command("unlink", "detach an attendee's Telegram account so their invite works again")
async def cmd_unlink(ctx: AppContext, args) -> int:
    print(cli_texts.unlinked(await people.unlink(ctx, args.attendee)))
    return 0


@command("scanner", "make someone a door scanner: WHO all | off | SESSION [SESSION ...]")
async def cmd_scanner(ctx: AppContext, args) -> int:
    line = await scanners.assign_scanner(ctx, args.who, args.sessions)
    print(chat_texts.scanner_removed(args.who) if line is None else chat_texts.scanner_line(line))
    return 0


@command("scanners", "list door scanners and their sessions")
async def cmd_scanners(ctx: AppContext, args) -> int:
    print(chat_texts.scanners_list(await scanners.list_scanners(ctx), CLI))
    return 0


@command("access", "access control for a session: SESSION on|off")
async def cmd_access(ctx: AppContext, args) -> int:
    print(chat_texts.access_set(await access.set_access(ctx, args.session, args.state)))
    return 0


@command("acl", "who access control admits: include (registered or targeted) | exclude (registered only)")
async def cmd_acl(ctx: AppContext, args) -> int:
    print(chat_texts.acl_set(await access.set_acl_mode(ctx, args.mode)))
    return 0


@command("capacity", "a session's capacity: SESSION NUMBER|none")
async def cmd_capacity(ctx: AppContext, args) -> int:
    print(chat_texts.capacity_set(await access.set_capacity(ctx, args.session, args.value)))
    return 0


@command("checkin-window", "default check-in window in minutes: BEFORE_START AFTER_END [CHECKOUT_AFTER_END]")
async def cmd_checkin_window(ctx: AppContext, args) -> int:
    if args.minutes:
        if len(args.minutes) not in (2, 3):
            print(CLI.window_usage, file=sys.stderr)
            return 1
        window = await event.set_window_settings(ctx, *args.minutes)
    else:
        window = await event.get_window_settings(ctx)
    print(chat_texts.window_settings_text(window))
    return 0


@command("timezone", "show the event's time zone, or change it keeping session wall-clock times: ZONE")
async def cmd_timezone(ctx: AppContext, args) -> int:
    if not args.zone:
        print(cli_texts.timezone_now(ctx.timezone.key))
        return 0
    print(cli_texts.timezone_changed(await event.change_timezone(ctx, args.zone)))
    return 0


@command("badge-token", "print an attendee's badge code (what their badge QR encodes)")
async def cmd_badge_token(ctx: AppContext, args) -> int:
    print((await badges.badge_for(ctx, args.attendee)).token)
    return 0


@command("reissue-badge", "revoke an attendee's badge and print the new code")
async def cmd_reissue_badge(ctx: AppContext, args) -> int:
    print(chat_texts.badge_reissued(await badges.reissue_badge(ctx, args.attendee)))
    return 0


@command("badges", "every attendee's badge to print: a ZIP of PNGs, or A4 sheets if the output ends in .pdf")
async def cmd_badges(ctx: AppContext, args) -> int:
    data, count = await badges.print_badges(ctx, output.format_of(output.wanted(args)))
    _write(ctx, args, data, lambda path: cli_texts.wrote_badges(count, path))
    return 0


@command("shortlink", "create/update a shortlink: CODE SESSION [POPUP...], or CODE off")
async def cmd_shortlink(ctx: AppContext, args) -> int:
    if args.rest == ["off"]:
        await shortlinks.remove_shortlink(ctx, args.code)
        print(cli_texts.shortlink_removed(args.code))
        return 0
    if not args.rest:
        print(CLI.shortlink_usage, file=sys.stderr)
        return 1
    line = await shortlinks.set_shortlink(ctx, args.code, args.rest[0], " ".join(args.rest[1:]))
    print(chat_texts.shortlink_saved(line, CLI))
    return 0


@command("shortlinks", "list shortlinks with their deep links")
async def cmd_shortlinks(ctx: AppContext, args) -> int:
    print(chat_texts.shortlinks_list(await shortlinks.list_shortlinks(ctx), CLI))
    return 0


@command("shortlink-qr", "ZIP of print-ready shortlink QR PNGs (all, or the codes given)")
async def cmd_shortlink_qr(ctx: AppContext, args) -> int:
    data, count = await shortlinks.shortlink_qr_zip(ctx, args.codes or None)
    _write(ctx, args, data, lambda path: cli_texts.wrote_shortlink_qr(count, path))
    return 0


@command("report", "write the check-in, check-out or credits report (XLSX, or CSV with --csv)")
async def cmd_report(ctx: AppContext, args) -> int:
    report = await reports.build_report(ctx, args.kind, output.format_of(output.wanted(args)))
    _write(ctx, args, report.data, lambda path: cli_texts.wrote_report(path, report.rows), report.filename)
    return 0


@command("announce", "message a session's people (SESSION inside|registered|all) or everyone (needs --yes)")
async def cmd_announce(ctx: AppContext, args) -> int:
    draft = announcements.draft(args.audience, args.text)
    preview = await announcements.preview(ctx, draft)
    if preview.recipients == 0:
        print(chat_texts.announce_nobody(preview), file=sys.stderr)
        return 1
    if not args.yes:
        shown = announcements.message_text(ctx, draft, preview.session, ctx.event_language)
        print(chat_texts.announce_preview(preview, shown))
        print(cli_texts.ANNOUNCE_CONFIRM, file=sys.stderr)
        return 1
    print(cli_texts.announcement_queued(await announcements.send(ctx, draft)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=cli_texts.PROGRAM, description=__doc__.splitlines()[0], epilog=cli_texts.OUTPUT_RULE
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        ARGUMENTS.get(name, lambda p: None)(p)
    return parser


ARGUMENTS = {
    "import": lambda p: p.add_argument("files", nargs="+", metavar="FILE"),
    "genpins": lambda p: (
        p.add_argument("which", choices=["new", "all"]),
        p.add_argument("--yes", action="store_true", help="confirm regenerating all PINs"),
    ),
    "setpin": lambda p: (
        p.add_argument("session"),
        p.add_argument("pin_in", metavar="IN"),
        p.add_argument("pin_out", metavar="OUT", nargs="?"),
    ),
    "pin-rotate": lambda p: (p.add_argument("session"), p.add_argument("seconds", metavar="SECONDS|off")),
    "display-link": lambda p: (p.add_argument("session"), p.add_argument("--revoke", action="store_true")),
    "dashboard-link": lambda p: p.add_argument("--revoke", action="store_true"),
    "invites": lambda p: p.add_argument("-o", "--output", metavar="FILE"),
    "attendees": lambda p: p.add_argument("text", nargs="?", metavar="TEXT"),
    "unlink": lambda p: p.add_argument("attendee"),
    "scanner": lambda p: (p.add_argument("who"), p.add_argument("sessions", nargs="+")),
    "access": lambda p: (p.add_argument("session"), p.add_argument("state", choices=["on", "off"])),
    "acl": lambda p: p.add_argument("mode", choices=["include", "exclude"]),
    "capacity": lambda p: (p.add_argument("session"), p.add_argument("value", metavar="NUMBER|none")),
    "checkin-window": lambda p: p.add_argument("minutes", nargs="*", metavar="MINUTES"),
    "timezone": lambda p: p.add_argument("zone", nargs="?"),
    "badge-token": lambda p: p.add_argument("attendee"),
    "reissue-badge": lambda p: p.add_argument("attendee"),
    "badges": lambda p: p.add_argument("-o", "--output", default="badges.zip", metavar="FILE"),
    "shortlink": lambda p: (p.add_argument("code"), p.add_argument("rest", nargs="*", metavar="SESSION [POPUP]")),
    "shortlink-qr": lambda p: (
        p.add_argument("codes", nargs="*"),
        p.add_argument("-o", "--output", default="shortlink-qr-codes.zip", metavar="FILE"),
    ),
    "announce": lambda p: (
        p.add_argument("audience", nargs="+", metavar="SESSION inside|registered|all | everyone"),
        p.add_argument("--text", required=True, help="what to say (the same for everyone, never translated)"),
        p.add_argument("--yes", action="store_true", help="queue it for the running bot"),
    ),
    "report": lambda p: (
        p.add_argument("kind", choices=list(reports.KINDS)),
        p.add_argument("--csv", action="store_true"),
        p.add_argument("-o", "--output", required=True, metavar="FILE"),
    ),
}
# Settings commands kept in modules of their own, each with its `register`.
for settings_command in (credits, one_room, reminders_command, certificates_command, backup_command):
    ARGUMENTS |= settings_command.register(command)


async def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(require_token=False)
    if args.command == "timezone":
        # Changing the zone is how an EVENT_TIMEZONE that disagrees with the event is put right.
        settings = dataclasses.replace(settings, event_timezone=None)
    if args.command == "import":
        missing = [name for name in args.files if not Path(name).is_file()]
        if missing:  # before the database is opened: a typo must not create an event
            print(cli_texts.no_such_file(missing[0]), file=sys.stderr)
            return 1
    try:
        if output.wanted(args):  # before any work: a wrong name is refused at once
            output.check(output.wanted(args), settings.database_path)
        database_file.check(settings.database_path)  # only looks: creates nothing
    except output.OutputRefused as refused:
        print(refused, file=sys.stderr)
        return 2
    except DatabaseUnusable as unusable:
        print(cli_texts.database_unusable(unusable), file=sys.stderr)
        return 2
    new_event = not settings.database_path.exists()
    if new_event and args.command not in CREATES_AN_EVENT:
        # Reading an event that is not there is a mistake (wrong directory, no DATABASE_PATH),
        # not a reason to create an empty one.
        print(cli_texts.no_event_database(settings.database_path.resolve()), file=sys.stderr)
        return 1
    try:
        return await _run_on(await Database(settings.database_path).open(), settings, args, new_event)
    except StorageUnavailable as trouble:  # a full disk, a read-only file: nothing was changed
        print(cli_texts.cannot_store(settings.database_path, trouble), file=sys.stderr)
        return 2


async def _run_on(db: Database, settings, args, new_event: bool) -> int:
    try:
        try:
            ctx = await build_context(settings, db)
        except StartupRefused as refused:
            print(cli_texts.cannot_start(refused), file=sys.stderr)
            return 2
        if new_event:
            print(cli_texts.new_event_database(settings.database_path.resolve(), ctx.timezone.key), file=sys.stderr)
        handler = COMMANDS[args.command][0]
        try:
            return await handler(ctx, args)
        except OrganiserError as refusal:
            print(chat_texts.problem_text(refusal, CLI), file=sys.stderr)
            return 1
        except BotUsernameUnknown:
            print(chat_texts.BOT_USERNAME_UNKNOWN, file=sys.stderr)
            return 1
        except output.OutputRefused as refused:
            print(refused, file=sys.stderr)
            return 2
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> None:
    load_dotenv(find_dotenv(usecwd=True))  # the .env of the working directory
    try:
        sys.exit(asyncio.run(run(sys.argv[1:] if argv is None else argv)))
    except ConfigError as exc:
        print(cli_texts.cannot_start(exc), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
