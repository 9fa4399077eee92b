"""`attendance-admin one-room [on|off]`: whether a check-in ends the person's visit of every session
at the same time, the twin of the chat's `/oneroom` (`bot.services.attendance_time`). Registered by
`admin_commands.__main__` like `admin_commands.credits`."""

from __future__ import annotations

from admin_commands.cli_texts import CLI
from bot import chat_texts
from bot.services import attendance_time


async def cmd_one_room(ctx, args) -> int:
    if args.state is None:
        print(chat_texts.one_room_setting(await attendance_time.one_room(ctx), CLI, usage=True))
        return 0
    print(chat_texts.one_room_setting(await attendance_time.set_one_room(ctx, args.state == "on"), CLI))
    return 0


def register(command) -> dict:
    """Register `one-room` with `__main__`'s `command` decorator; its entries for `ARGUMENTS`."""
    command("one-room", "does a check-in end the visit of every session at the same time: on (default) | off")(
        cmd_one_room
    )
    return {"one-room": lambda p: p.add_argument("state", nargs="?", choices=["on", "off"])}
