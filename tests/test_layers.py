"""The house rules of the layout (docs/architecture.md), checked on the source so they cannot drift.

Read with `ast`, not run: every import of every module of `bot/` and `admin_commands/`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = {
    "bot/chat_texts.py",
    "bot/web/page_texts.py",
    "bot/telegram/startup_texts.py",
    "admin_commands/cli_texts.py",
}
MAX_LINES = 400
# Where the Bot API library may be imported: the chat front end, Telegram plumbing, the web server
# (which hands webhook updates to the Application), and the entry point that starts them.
TELEGRAM_ALLOWED = ("bot/handlers/", "bot/telegram/", "bot/web/", "bot/__main__.py")
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.S
)  # the project writes SQL keywords in capitals


def modules() -> list[Path]:
    return sorted(p for top in ("bot", "admin_commands") for p in (ROOT / top).rglob("*.py"))


def name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize("path", modules(), ids=name)
def test_no_module_outside_the_catalogues_is_over_400_lines(path):
    if name(path) not in CATALOGUES:
        assert len(path.read_text("utf-8").splitlines()) <= MAX_LINES


def test_telegram_is_imported_only_by_the_chat_the_plumbing_and_the_web_server():
    offenders = [
        name(p)
        for p in modules()
        if not name(p).startswith(TELEGRAM_ALLOWED)
        and any(m == "telegram" or m.startswith("telegram.") for m in imports(p))
    ]
    assert offenders == []


def test_nothing_in_bot_imports_the_command_line():
    offenders = [
        name(p) for p in (ROOT / "bot").rglob("*.py") if any(m.startswith("admin_commands") for m in imports(p))
    ]
    assert offenders == []


def test_files_are_bytes_in_bytes_out():
    """`bot/files/` touches neither the database nor Telegram nor the layers above it."""
    forbidden = ("bot.storage", "bot.services", "bot.handlers", "bot.telegram", "bot.web", "telegram", "sqlite3")
    offenders = {
        name(p): sorted(m for m in imports(p) if m.startswith(forbidden) or m in ("aiosqlite", "sqlite3"))
        for p in (ROOT / "bot" / "files").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_domain_is_pure():
    forbidden = ("bot.storage", "bot.services", "bot.handlers", "bot.telegram", "bot.web", "bot.files", "telegram")
    offenders = {
        name(p): sorted(m for m in imports(p) if m.startswith(forbidden)) for p in (ROOT / "bot/domain").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_sql_lives_in_storage_only():
    offenders = [
        name(p) for p in modules() if not name(p).startswith("bot/storage/") and any(SQL.search(s) for s in strings(p))
    ]
    assert offenders == []


def test_the_sql_check_sees_sql():
    assert SQL.search("SELECT * FROM attendance_log WHERE id = ?")
    assert SQL.search("INSERT INTO settings (key) VALUES (?)")
    assert not SQL.search("Select a session from the list")
