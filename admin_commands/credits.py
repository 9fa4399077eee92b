"""`attendance-admin credits [threshold N | proportional]`: the event's credit rule, the twin of
the chat's `/credits` (`bot.services.credits`). Registered by `admin_commands.__main__` through
its `command` decorator and `ARGUMENTS` table (`register`); not imported from `__main__`, which
`python -m admin_commands` runs as another module."""

from __future__ import annotations

from admin_commands.cli_texts import CLI
from bot import chat_texts
from bot.services import credits


async def cmd_credits(ctx, args) -> int:
    if not args.rule:
        print(chat_texts.credits_setting(await credits.get_rule(ctx), CLI, usage=True))
        return 0
    print(chat_texts.credits_setting(await credits.set_rule(ctx, " ".join(args.rule)), CLI))
    return 0


def register(command) -> dict:
    """Register `credits` with `__main__`'s `command` decorator; its entries for `ARGUMENTS`."""
    help_text = "how session credits are awarded: threshold PERCENT | proportional (none: show the rule)"
    command("credits", help_text)(cmd_credits)
    return {"credits": lambda p: p.add_argument("rule", nargs="*", metavar="threshold PERCENT|proportional")}
