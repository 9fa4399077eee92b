"""The sample event (tests/conftest.py) imported into a real SQLite file, for tests that call
use cases directly: no Telegram, no HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from bot.config import load_settings
from bot.services import imports
from bot.services.context import AppContext, build_context
from bot.storage.db import Database
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV


@asynccontextmanager
async def sample_event(tmp_path: Path, clock: Callable[[], datetime]) -> AsyncIterator[AppContext]:
    settings = load_settings(
        {"DATABASE_PATH": str(tmp_path / "event.db"), "EVENT_TIMEZONE": "Europe/Paris", "ADMIN_IDS": "1"},
        require_token=False,
    )
    db = await Database(settings.database_path).open()
    try:
        context = await build_context(settings, db, clock=clock)
        # Registrations first: the files are imported in the order their contents need.
        files = [
            ("registrations.csv", REGISTRATIONS_CSV),
            ("attendees.csv", ATTENDEES_CSV),
            ("sessions.csv", SESSIONS_CSV),
        ]
        reports = await imports.import_files(context, [(name, text.encode()) for name, text in files])
        assert [(r.kind, r.ok) for r in reports] == [("sessions", True), ("attendees", True), ("registrations", True)]
        yield context
    finally:
        await db.close()
