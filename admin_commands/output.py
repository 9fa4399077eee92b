"""Every file the command line writes goes through `write`: one rule for every output argument.

* The name's extension must be one the command writes (`badges -o b.docx` is refused,
  before any work is done: `run` calls `check` first).
* A directory that does not exist yet is created (`backup backups/mon.db` from cron
  needs no `mkdir` first); an existing directory as the output gets the command's own
  file name in it.
* The file is written with a plain `open()`, so it gets the usual permissions
  (rw-r--r-- under umask 022), like any file the organiser makes.
* It is never the event database itself.

A refusal is one line (`OutputRefused`); the command exits with code 2.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from admin_commands import cli_texts


class OutputRefused(Exception):
    """The output argument cannot be written; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class Output:
    """What one command writes: the name given, the extensions it writes, its file name in a directory."""

    name: str
    command: str  # as the organiser typed it, for the refusal: "badges", "report --csv"
    extensions: tuple[str, ...]
    default_name: str | None = None  # None: known once the file is made (a report's own name)


def wanted(args) -> Output | None:
    """The file `args` asks the command to write, or None (it prints, or writes nothing)."""
    match args.command:
        case "invites" if args.output:
            return Output(args.output, "invites", (".csv",), "invite-links.csv")
        case "badges":
            return Output(args.output, "badges", (".zip", ".pdf"), "badges.zip")
        case "shortlink-qr":
            return Output(args.output, "shortlink-qr", (".zip",), "shortlink-qr-codes.zip")
        case "report" if args.csv:
            return Output(args.output, "report --csv", (".csv",))
        case "report":
            return Output(args.output, "report", (".xlsx", ".csv"))
        case "backup":
            return Output(args.file, "backup", (".db", ".sqlite", ".sqlite3"), "attendance-backup.db")
        case "certificates" if args.action == "zip":
            return Output(args.output, "certificates zip", (".zip",), "certificates.zip")
    return None


def check(output: Output, database: Path, default_name: str | None = None) -> Path:
    """The path to write `output` to; `OutputRefused` if it cannot be. Creates nothing."""
    path = Path(output.name).expanduser()
    if path.is_dir():
        name = default_name or output.default_name
        if name is None:  # the name is known once the file is made: checked again then
            return path
        path = path / name
    if path.suffix.lower() not in output.extensions:
        raise OutputRefused(cli_texts.wrong_extension(output.name, output.command, output.extensions))
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputRefused(cli_texts.not_a_directory(output.name, parent))
            break
    if path.exists() and database.exists() and os.path.samefile(path, database):
        raise OutputRefused(cli_texts.output_is_the_database(output.name))
    return path


def write(
    output: Output, data: bytes, database: Path, line: Callable[[Path], str], default_name: str | None = None
) -> Path:
    """Check `output` again, create its directory if missing, write `data` and print `line(path)`."""
    path = check(output, database, default_name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)
    except OSError as exc:
        raise OutputRefused(cli_texts.cannot_write(path, exc.strerror or str(exc))) from None
    print(line(path))
    return path


def format_of(output: Output) -> str:
    """The format a name asks for, where a command writes more than one: "pdf", "csv" or the first."""
    suffix = Path(output.name).suffix.lower().lstrip(".")
    return suffix if f".{suffix}" in output.extensions else output.extensions[0].lstrip(".")
