"""`attendance-admin reminders [MINUTES|off]`: reminders before sessions start, the twin of the chat's
`/reminders` (`bot.services.reminders`). Registered by `admin_commands.__main__` like
`admin_commands.credits`."""

from __future__ import annotations

from admin_commands.cli_texts import CLI
from bot import chat_texts
from bot.services import reminders


async def cmd_reminders(ctx, args) -> int:
    if args.minutes is None:
        print(chat_texts.reminders_setting(await reminders.get_setting(ctx), CLI, usage=True))
        return 0
    print(chat_texts.reminders_setting(await reminders.set_minutes(ctx, args.minutes), CLI))
    return 0


def register(command) -> dict:
    """Register `reminders` with `__main__`'s `command` decorator; its entries for `ARGUMENTS`."""
    help_text = "reminders before sessions start: MINUTES before the start | off (none: show the setting)"
    command("reminders", help_text)(cmd_reminders)
    return {"reminders": lambda p: p.add_argument("minutes", nargs="?", metavar="MINUTES|off")}
