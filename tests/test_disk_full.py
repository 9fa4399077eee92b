"""A database that cannot store: its disk fills up, or its file is made read-only, while the bot runs.

The bot never confirms to Telegram an update it could not store (so Telegram delivers it again),
tells each sender once that it cannot record right now, logs one line when the trouble starts and
at most one a minute while it lasts (the interval is injected here), and recovers by itself:
every check-in sent meanwhile is then recorded once and confirmed once. The command line says the
same in one line and exits with code 2.

How the trouble is made, for real where the machine allows it, else the closest SQLite offers:

* a full disk: the database lives on a small tmpfs (`mount`, root in CI) that a filler file fills;
  where mounting is not permitted, `PRAGMA max_page_count` on the bot's connection (the same
  SQLITE_FULL). Updates then carry a long quoted message (`reply_to_message`), as a reply to an
  announcement does, so storing one needs new pages under either.
* a read-only file: root ignores file modes, so the database and its journal are made immutable
  (`chattr +i`: the bot's open file then fails every write); where the filesystem does not enforce
  that, the bot's connection is reopened read-only (SQLITE_READONLY).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from admin_commands.__main__ import main as attendance_admin
from bot import chat_texts
from bot.domain import badges
from bot.storage import db as storage_db
from bot.storage.db import StorageUnavailable
from bot.telegram import updates
from bot.web.server import serve
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.harness import ORGANISER, BotHarness, User, free_port
from tests.test_scanner_api import DORA, call, scan
from tests.web import served_with_client

CANNOT = chat_texts.CANNOT_RECORD_NOW
GUESTS = [User(70_000 + i, f"Guest{i}") for i in range(4)]
LONG_QUOTE = "Welcome to the event! " * 300  # ~6.6 KB: more than a database page


def _root(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True).returncode == 0


class FullDisk:
    """The database's filesystem: a 16 MB tmpfs when mounting is allowed, else PRAGMA max_page_count."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path / "disk"
        self.dir.mkdir()
        self.mounted = _root(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(self.dir)])
        self.filler = self.dir / "filler"

    async def fill(self, db) -> None:
        if not self.mounted:
            await db.write(
                lambda c: c.execute(f"PRAGMA max_page_count = {c.execute('PRAGMA page_count').fetchone()[0]}")
            )
            return
        async with db.lock:  # no transaction of the bot's open: its journal is emptied, then every write needs space
            with sqlite3.connect(db.path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(self.filler, "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()

    async def free(self, db) -> None:
        if self.mounted:
            self.filler.unlink()
        else:
            await db.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.dir)], capture_output=True)


def immutable_enforced(directory: Path) -> bool:
    """Whether `chattr +i` works here and stops writes through a file already open (ext4 does)."""
    probe = directory / "probe"
    probe.write_bytes(b"x")
    fd = os.open(probe, os.O_WRONLY)
    try:
        if not _root(["chattr", "+i", str(probe)]):
            return False
        try:
            os.write(fd, b"y")
            return False
        except OSError:
            return True
    finally:
        os.close(fd)
        _root(["chattr", "-i", str(probe)])
        probe.unlink()


class ReadOnlyFile:
    """The database file made read-only under the running bot."""

    def __init__(self, db) -> None:
        self.db, self.files = db, [Path(db.path), Path(db.path + "-wal")]
        self.immutable = immutable_enforced(Path(db.path).parent)
        self._writable = None

    async def make_read_only(self) -> None:
        async with self.db.lock:  # between two transactions of the bot's
            if self.immutable:
                assert all(_root(["chattr", "+i", str(f)]) for f in self.files)
            else:
                uri = f"{Path(self.db.path).as_uri()}?mode=ro"
                self._writable, self.db._conn = self.db._conn, sqlite3.connect(uri, uri=True, check_same_thread=False)
                self.db._conn.isolation_level = None

    async def make_writable(self) -> None:
        async with self.db.lock:
            if self.immutable:
                for f in self.files:
                    _root(["chattr", "-i", str(f)])
            elif self._writable is not None:
                self.db._conn.close()
                self.db._conn, self._writable = self._writable, None


def pin_update(h: BotHarness, user: User, pin: str = "KEY1IN") -> dict:
    """A PIN typed as a reply to a long announcement: Telegram quotes that message in the update."""
    quoted = {"message_id": 5, "date": 0, "chat": {"id": user.id, "type": "private"}, "text": LONG_QUOTE}
    return h._message(user, text=pin, reply_to_message=quoted)


class Ticker:
    """The storage report's clock: seconds pass only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def trouble_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == updates.__name__ and "The database" in r.getMessage()]


async def started(tmp_path: Path, directory: Path) -> BotHarness:
    h = BotHarness(tmp_path, OPEN_REGISTRATION="true", DATABASE_PATH=str(directory / "event.db"))
    await h.start()
    h.processor = updates.UpdateProcessor(h.app, h.ctx, report_interval=60, retry_interval=0.05)
    h.processor.storage.clock = Ticker()
    calls = await h.send_document(ORGANISER, SESSIONS_CSV.encode(), "sessions.csv")
    assert "imported" in calls[-1].text, calls[-1].text
    return h


async def receive(h: BotHarness, payloads: list[dict]) -> bool:
    """What polling does with a batch: True once stored (the offset may move on), False if not."""
    try:
        await h.processor.receive(payloads)
    except StorageUnavailable:
        return False
    finally:
        await h.processor.drain(keep_retrying=True)
    return True


def replies(h: BotHarness, user: User) -> list[str]:
    return [c.text for c in h.api.sent("sendMessage") if c.chat_id == user.id]


async def test_a_full_disk_confirms_nothing_it_did_not_store_and_records_everything_once_space_returns(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger=updates.__name__)
    disk = FullDisk(tmp_path)
    try:
        h = await started(tmp_path, disk.dir)
        try:
            await disk.fill(h.db)
            batch = [pin_update(h, user) for user in GUESTS]
            clock = h.processor.storage.clock
            for _ in range(3):  # Telegram gives the unconfirmed batch again and again
                assert not await receive(h, batch)
                clock.now += 20
            for user in GUESTS:
                assert replies(h, user) == [CANNOT]  # told once, however often it came back
            assert await h.rows("SELECT COUNT(*) FROM updates WHERE update_id >= ?", (batch[0]["update_id"],)) == [(0,)]
            lines = trouble_lines(caplog)
            assert len(lines) == 1 and "the disk is full" in lines[0] and "free some space" in lines[0], lines
            clock.now += 1
            assert not await receive(h, batch)  # a minute after the first line: the second one
            assert len(trouble_lines(caplog)) == 2 and "Still so after 61 s" in trouble_lines(caplog)[1]

            await disk.free(h.db)
            assert await receive(h, batch)  # stored: from now on the offset confirms it
        finally:
            await h.stop()
        db = await storage_db.Database(h.settings.database_path).open()
        try:
            log_rows = await db.read(
                lambda c: c.execute(
                    "SELECT actor_user_id, COUNT(*) FROM attendance_log WHERE accepted = 1 GROUP BY actor_user_id"
                ).fetchall()
            )
            unfinished = await db.read(
                lambda c: c.execute("SELECT COUNT(*) FROM updates WHERE done_at IS NULL").fetchone()
            )
        finally:
            await db.close()
    finally:
        disk.close()
    assert {tuple(r) for r in log_rows} == {(user.id, 1) for user in GUESTS}
    assert tuple(unfinished) == (0,)
    for user in GUESTS:
        said = replies(h, user)
        assert said[0] == CANNOT and len(said) == 2 and "Checked in to S1" in said[1], said
    assert "stores again" in trouble_lines(caplog)[-1]
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a full disk"


async def test_a_read_only_database_leaves_stored_updates_unfinished_and_handles_them_once_writable(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=updates.__name__)
    h = await started(tmp_path, tmp_path)
    broken = ReadOnlyFile(h.db)
    try:
        stored = [h._message(user, text="KEY1IN") for user in GUESTS[:2]]
        await h.processor.receive(stored)  # stored and confirmed; handled right after
        await broken.make_read_only()
        await h.processor.drain(keep_retrying=True)
        for user in GUESTS[:2]:
            assert replies(h, user) == [CANNOT]
        late = [h._message(user, text="KEY1IN") for user in GUESTS[2:]]
        assert not await receive(h, late)  # cannot be stored: not confirmed
        await asyncio.sleep(0.2)  # retried a few times meanwhile: nobody told twice, no new line
        await h.processor.drain(keep_retrying=True)
        assert [replies(h, user) for user in GUESTS] == [[CANNOT]] * 4
        lines = trouble_lines(caplog)
        assert len(lines) == 1, lines
        kind = "fails to write" if broken.immutable else "read-only"
        assert kind in lines[0] and "Since now" in lines[0], lines
        assert await h.rows("SELECT COUNT(*) FROM attendance_log WHERE actor_user_id >= 70000") == [(0,)]

        await broken.make_writable()
        await asyncio.sleep(0.2)  # the stored ones are tried again by themselves
        await h.processor.drain(keep_retrying=True)
        assert await receive(h, late)  # Telegram's next delivery of the rest
        rows = await h.rows(
            "SELECT actor_user_id, COUNT(*) FROM attendance_log WHERE actor_user_id >= 70000 GROUP BY actor_user_id"
        )
        assert sorted(rows) == [(user.id, 1) for user in GUESTS]
        assert await h.rows("SELECT COUNT(*) FROM updates WHERE done_at IS NULL") == [(0,)]
        for user in GUESTS:
            said = replies(h, user)
            assert said[0] == CANNOT and len(said) == 2 and "Checked in to S1" in said[1], said
    finally:
        await broken.make_writable()
        await h.stop()
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]


async def test_polling_asks_for_the_same_batch_until_it_is_stored():
    update = {"update_id": 41, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
    stop = asyncio.Event()
    offsets: list[int | None] = []

    class Telegram:
        async def do_api_request(self, method, api_kwargs, read_timeout):
            offsets.append(api_kwargs.get("offset"))
            if len(offsets) == 5:
                stop.set()
            return [update] if len(offsets) < 4 else []

    class Application:
        bot = Telegram()

    class Inbox:
        retry_interval = 0.01
        tries = 0

        async def receive(self, payloads):
            self.tries += 1
            if self.tries < 3:
                raise StorageUnavailable("full", "database or disk is full")

    await updates.poll(Application(), Inbox(), stop)
    assert offsets[:4] == [None, None, None, 42]  # confirmed only after the third try stored it


# ---------------------------------------------------------------- the command line


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ended:
        attendance_admin(list(argv))
    out, err = capsys.readouterr()
    return ended.value.code, out, err


@pytest.fixture
def cli_event(tmp_path, monkeypatch, capsys):
    disk = FullDisk(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("EVENT_TIMEZONE", "BOT_TOKEN", "ADMIN_IDS", "EVENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(disk.dir / "event.db"))
    monkeypatch.setenv("EVENT_TIMEZONE", "Europe/Paris")
    (tmp_path / "s.csv").write_text(SESSIONS_CSV)
    rows = "\n".join(f"R-{i},Guest {i},g{i}@example.org,," for i in range(800))
    (tmp_path / "a.csv").write_text("attendee_id,name,email,groups,telegram\n" + rows + "\n")
    assert cli(capsys, "import", "s.csv")[0] == 0
    yield disk
    disk.close()


def attendees(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM attendees").fetchone()[0]


def test_the_command_line_says_a_full_disk_in_one_line_and_exits_2(cli_event, capsys, monkeypatch):
    db_path = cli_event.dir / "event.db"
    if cli_event.mounted:
        with open(cli_event.filler, "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    else:
        connect = storage_db._connect

        def full(path, synchronous):
            conn = connect(path, synchronous)
            conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
            return conn

        monkeypatch.setattr(storage_db, "_connect", full)
    code, out, err = cli(capsys, "import", "a.csv")
    assert code == 2 and out == "" and len(err.splitlines()) == 1, (code, out, err)
    assert err.startswith("Nothing was changed. The database ") and "the disk is full" in err, err
    monkeypatch.undo()
    if cli_event.mounted:
        cli_event.filler.unlink()
    assert attendees(db_path) == 0


def test_the_command_line_says_a_read_only_database_in_one_line_and_exits_2(cli_event, capsys, monkeypatch):
    db_path = cli_event.dir / "event.db"
    immutable = immutable_enforced(cli_event.dir) and _root(["chattr", "+i", str(db_path)])
    if not immutable:

        def read_only(path, synchronous):
            conn = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True, check_same_thread=False)
            conn.isolation_level = None
            return conn

        monkeypatch.setattr(storage_db, "_connect", read_only)
    try:
        code, out, err = cli(capsys, "import", "a.csv")
    finally:
        _root(["chattr", "-i", str(db_path)])
    assert code == 2 and out == "" and len(err.splitlines()) == 1, (code, out, err)
    said = "cannot be written by this user" if immutable else "it is read-only"
    assert said in err and str(db_path) in err, err
    assert attendees(db_path) == 0


async def test_the_webhook_answers_503_for_an_update_it_could_not_store(tmp_path):
    port = free_port()
    secret = "s3cret-token-for-tests_0123456789"
    h = await BotHarness(
        tmp_path,
        WEBHOOK_URL="https://bot.example.org/tg-hook",
        WEBHOOK_SECRET=secret,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    ).start()
    broken = ReadOnlyFile(h.db)
    stop = asyncio.Event()
    server = asyncio.create_task(serve(h.app, h.processor, h.settings, stop))
    try:
        await asyncio.sleep(0.2)
        update = h._message(GUESTS[0], text="KEY1IN")
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with httpx.AsyncClient() as client:
            await broken.make_read_only()
            refused = await client.post(f"http://127.0.0.1:{port}/tg-hook", content=json.dumps(update), headers=headers)
            await broken.make_writable()
            again = await client.post(f"http://127.0.0.1:{port}/tg-hook", content=json.dumps(update), headers=headers)
        assert (refused.status_code, again.status_code) == (503, 200)  # Telegram tries again after a 503
        await h.processor.drain()
        assert await h.rows("SELECT update_id FROM updates WHERE done_at IS NOT NULL") == [(update["update_id"],)]
        said = replies(h, GUESTS[0])  # told to wait, then answered (no event here: not on the list) once
        assert len(said) == 2 and said[0] == CANNOT and said[1] != CANNOT, said
    finally:
        await broken.make_writable()
        stop.set()
        await server
        await h.stop()


def test_a_bot_that_cannot_open_its_database_for_writing_says_so_in_one_line_and_exits_2(
    cli_event, capsys, monkeypatch
):
    """A stopped bot's journal files are gone; on a full disk SQLite cannot make them again (where
    mounting is not permitted, a directory stands where its -shm file would go)."""
    from bot.__main__ import main as start_the_bot

    monkeypatch.setenv("BOT_TOKEN", "123456:AAE_disk_full_token_xxxxxxxxxxxxxxx")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # never reached: the database comes first
    if cli_event.mounted:
        with open(cli_event.filler, "wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        said = "the disk is full"
    else:  # SQLite cannot make its -shm file there either: a directory is in the way
        (cli_event.dir / "event.db-shm").mkdir()
        said = "cannot store anything"
    with pytest.raises(SystemExit) as ended:
        start_the_bot()
    out, err = capsys.readouterr()
    assert ended.value.code == 2 and out == "" and len(err.splitlines()) == 1, (out, err)
    assert err.startswith("Cannot start: The database ") and said in err, err


async def test_a_mini_app_scan_meets_503_and_one_log_line_while_the_database_cannot_store(tmp_path, caplog):
    """The scanner page keeps a scan the server answered 5xx in its queue and sends it again: 503 says
    nothing was kept; the log has one line for many such requests, no traceback; once the file is
    writable again the same scan is recorded once."""
    h = await BotHarness(tmp_path, PUBLIC_URL="https://door.example.org").start()
    try:
        for name, content in (("s.csv", SESSIONS_CSV), ("a.csv", ATTENDEES_CSV), ("r.csv", REGISTRATIONS_CSV)):
            await h.send_document(ORGANISER, content.encode(), name)
        await h.send(DORA, "/start")
        await h.send(ORGANISER, "/scanner @dora_door S1")
        badge = badges.make_token(h.ctx.badge_secret, "REG-1", 1)
        broken = ReadOnlyFile(h.db)
        async with served_with_client(h):
            h.api_root = f"{h.root}/api/scanner"
            caplog.clear()
            await broken.make_read_only()
            try:
                refused = [await call(h, "scan", scan("S1", badge, f"scan-{i}")) for i in range(3)]
            finally:
                await broken.make_writable()
            again = await call(h, "scan", scan("S1", badge, "scan-0"))
        assert [r.status_code for r in refused] == [503, 503, 503]
        assert all("Traceback" not in r.text and r.json()["error"] == "server" for r in refused)
        lines = [r for r in caplog.records if "cannot store anything" in r.getMessage()]
        assert len(lines) == 1 and lines[0].exc_info is None, [r.getMessage() for r in caplog.records]
        assert again.status_code == 200 and again.json()["colour"] == "green", again.text
        assert await h.rows("SELECT attendee_id, session_id, accepted FROM attendance_log") == [("REG-1", "S1", 1)]
    finally:
        await h.stop()


async def test_a_periodic_pass_on_a_database_that_cannot_store_is_one_line_and_goes_on(caplog):
    """The reminder scheduler and the certificate check meet a full disk as the inbox does: a line
    without a traceback, and the next pass runs; any other failure keeps its traceback."""
    from bot.telegram import periodic

    stop, passes = asyncio.Event(), []

    async def one_pass() -> None:
        passes.append(len(passes))
        if len(passes) == 1:
            raise StorageUnavailable("full", "database or disk is full")
        if len(passes) == 2:
            raise ValueError("a bug")
        stop.set()

    with caplog.at_level(logging.WARNING):
        await periodic.repeat(one_pass, stop, 0.01, "the test pass")
    assert passes == [0, 1, 2]
    full, bug = [r for r in caplog.records if r.name == periodic.__name__]
    assert "the test pass could not store (database or disk is full)" in full.getMessage() and not full.exc_info
    assert "the test pass failed" in bug.getMessage() and bug.exc_info[0] is ValueError
