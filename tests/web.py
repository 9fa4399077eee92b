"""The bot's web server over real HTTP for a harness (`serve`), and the sample event served
that way, today (`served_event`), for tests of the web pages and the benchmarks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import tornado.web
from tornado.httpserver import HTTPServer

from bot.web.server import MAX_BODY, make_app
from tests.agenda import running_now, shifted_agenda
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.harness import ORGANISER, BotHarness, free_port

PUBLIC_URL = "https://attendance.example.org"


@asynccontextmanager
async def serve(h: BotHarness, xheaders: bool = False) -> AsyncIterator[tornado.web.Application]:
    """The bot's web application for `h` on 127.0.0.1 (`h.port`, `h.root`) until the block ends,
    refusing bodies over the production server's limit (`bot.web.server.serve`)."""
    app = make_app(h.ctx, h.processor, h.settings)
    port = free_port()
    server = HTTPServer(app, xheaders=xheaders, max_body_size=MAX_BODY)
    server.listen(port, "127.0.0.1")
    h.port, h.root = port, f"http://127.0.0.1:{port}"
    try:
        yield app
    finally:
        server.stop()


@asynccontextmanager
async def served_with_client(h: BotHarness) -> AsyncIterator[BotHarness]:
    """`serve(h)` with an HTTP client for it (`h.http`) until the block ends."""
    async with serve(h), httpx.AsyncClient(timeout=20) as h.http:
        yield h


@asynccontextmanager
async def served_event(tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The sample agenda moved to today, on the real clock shifted by `h.offset` (a test may move it),
    with the bot's web server on 127.0.0.1 (`h.root`) and an HTTP client (`h.http`)."""
    h = await BotHarness(tmp_path, PUBLIC_URL=PUBLIC_URL).start()
    h.offset = timedelta(0)
    h.ctx.clock = lambda: datetime.now(UTC) + h.offset
    agenda = shifted_agenda(SESSIONS_CSV, running_now("Europe/Paris"))
    for name, content in (("s.csv", agenda), ("a.csv", ATTENDEES_CSV), ("r.csv", REGISTRATIONS_CSV)):
        await h.send_document(ORGANISER, content.encode(), name)
    try:
        async with served_with_client(h):
            yield h
    finally:
        await h.stop()
