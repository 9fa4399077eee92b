"""`attendance-admin backup FILE`: a copy of the event database made with SQLite's online backup
(consistent while the bot writes), written like every output file (`admin_commands.output`: never
over the live database, nor its -wal or -shm), then read back from the disk and checked with
`PRAGMA integrity_check`. A copy that fails the check is removed and refused in one line (exit
code 2, like any output refused), so a cron job never keeps a backup that could not be restored.
Registered by `admin_commands.__main__`."""

from __future__ import annotations

from pathlib import Path

from admin_commands import cli_texts, output
from bot.services import backup


async def cmd_backup(ctx, args) -> int:
    data, pages = await backup.backup_copy(ctx)

    def checked(path: Path) -> str:  # called once the copy is on the disk, before anything is printed
        problems = backup.check_copy(path)
        if problems:
            path.unlink(missing_ok=True)
            raise output.OutputRefused(cli_texts.backup_damaged(path, problems))
        return cli_texts.backed_up(pages, path)

    output.write(output.wanted(args), data, ctx.settings.database_path, checked)
    return 0


def register(command) -> dict:
    """Register `backup` with `__main__`'s `command` decorator; its entry for `ARGUMENTS`."""
    command("backup", "copy the database to FILE with SQLite's online backup (safe while the bot runs), then check it")(
        cmd_backup
    )
    return {"backup": lambda p: p.add_argument("file")}
