"""The scanner Mini App's API over real HTTP, against the bot's own web server and database.

Door staff Dora scans for S2 (access control on, capacity 2) and S1. Every bad
request gets its status and records nothing; good ones go through the same
service functions as photos in the chat, and the log says they came from the
Mini App.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import httpx
import pytest

from bot.domain import badges
from tests.fakebot import TOKEN
from tests.harness import ORGANISER, BotHarness, User
from tests.images import badge_photo
from tests.miniapp import init_data_for
from tests.web import serve

DORA = User(700, "Dora", "dora_door")
ADA = User(501, "Ada", "ada_l")
LOG_COLUMNS = "attendee_id, session_id, direction, method, accepted, reason, override, registered, targeted"


@pytest.fixture
async def door(event_for_api):
    return event_for_api


@pytest.fixture
async def event_for_api(tmp_path):
    from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV

    h = await BotHarness(tmp_path, PUBLIC_URL="https://door.example.org").start()
    for name, content in (("s.csv", SESSIONS_CSV), ("a.csv", ATTENDEES_CSV), ("r.csv", REGISTRATIONS_CSV)):
        await h.send_document(ORGANISER, content.encode(), name)
    await h.send(DORA, "/start")
    await h.send(ORGANISER, "/scanner @dora_door S1 S2")
    async with serve(h), httpx.AsyncClient(timeout=10) as h.http:
        h.api_root = f"{h.root}/api/scanner"
        yield h
    await h.stop()


def code(h: BotHarness, attendee_id: str, version: int = 1) -> str:
    return badges.make_token(h.ctx.badge_secret, attendee_id, version)


async def call(h: BotHarness, action: str, body: dict | bytes, who: User = DORA, init_data: str | None = None):
    if isinstance(body, dict):
        signed = int(h.clock.now.timestamp())
        body = {
            "initData": init_data_for(who.id, TOKEN, who.first_name, signed) if init_data is None else init_data,
            **body,
        }
        content = json.dumps(body).encode()
    else:
        content = body
    return await h.http.post(f"{h.api_root}/{action}", content=content)


def scan(session: str, badge: str, scan_id: str, **extra) -> dict:
    return {"session_id": session, "code": badge, "scan_id": scan_id, **extra}


async def log_rows(h: BotHarness) -> list[tuple]:
    return await h.rows(f"SELECT {LOG_COLUMNS} FROM attendance_log ORDER BY id")


async def test_sessions_for_this_scanner_only(door):
    answer = await call(door, "sessions", {})
    assert answer.status_code == 200
    assert [s["id"] for s in answer.json()["sessions"]] == ["S1", "S2"]
    assert answer.json()["scanner"] == "Dora"
    refused = await call(door, "sessions", {}, who=ADA)
    assert refused.status_code == 403 and refused.json()["error"] == "not_scanner"


async def test_green_then_the_same_request_again_is_counted_once(door):
    first = await call(door, "scan", scan("S1", code(door, "REG-1"), "a1"))
    assert first.status_code == 200
    verdict = first.json()
    assert (verdict["colour"], verdict["headline"], verdict["name"], verdict["registered"]) == (
        "green",
        "Checked in",
        "Ada Lovelace",
        True,
    )
    assert verdict["undo_until"] and not verdict["overridable"] and verdict["inside"] == 1
    again = await call(door, "scan", scan("S1", code(door, "REG-1"), "a1"))
    assert again.json()["log_id"] == verdict["log_id"] and again.json()["replayed"] is True
    other = await call(door, "scan", scan("S1", code(door, "REG-1"), "a2"))
    assert other.json()["colour"] == "yellow" and other.json()["headline"] == "Already checked in since 10:00"
    assert await door.rows("SELECT source, request_id, method, scanner_user_id FROM attendance_log") == [
        ("miniapp", "a1", "scan", DORA.id)
    ]


async def test_the_card_shows_registration_only_where_access_control_asks_for_it(door):
    # S1 is open to everyone: Cleo is not registered for it, and that is nothing to worry the door about.
    open_door = (await call(door, "scan", scan("S1", code(door, "REG-3"), "o1"))).json()
    assert (open_door["colour"], open_door["access_control"]) == ("green", False)
    guarded = (await call(door, "scan", scan("S2", code(door, "REG-1"), "o2"))).json()
    assert (guarded["colour"], guarded["access_control"], guarded["registered"], guarded["targeted"]) == (
        "green",
        True,
        True,
        True,
    )


async def test_already_checked_in_says_since_when_in_the_events_zone(door):
    await call(door, "scan", scan("S1", code(door, "REG-1"), "e1"))  # 08:00 UTC: 10:00 in Paris
    door.clock.now += timedelta(minutes=7)
    yellow = (await call(door, "scan", scan("S1", code(door, "REG-1"), "e2"))).json()
    assert (yellow["colour"], yellow["headline"]) == ("yellow", "Already checked in since 10:00")
    assert yellow["earlier_at"] == "2026-05-14T08:00:00+00:00"


async def test_red_admit_anyway_then_undo(door):
    red = (await call(door, "scan", scan("S2", code(door, "REG-2"), "b1"))).json()
    assert (red["colour"], red["headline"], red["overridable"]) == ("red", "Not registered for this session", True)
    admitted = await call(door, "override", {"log_id": red["log_id"]})
    assert admitted.status_code == 200 and admitted.json()["headline"] == "Admitted anyway"
    # The same request again (a retry after a lost answer) gets what the first one recorded.
    twice = await call(door, "override", {"log_id": red["log_id"]})
    assert twice.status_code == 200 and twice.json()["replayed"] is True
    assert twice.json()["headline"] == "Admitted anyway" and twice.json()["log_id"] == admitted.json()["log_id"]
    undone = await call(door, "undo", {"log_id": admitted.json()["log_id"]})
    assert undone.status_code == 200 and undone.json()["headline"].startswith("Undone: Bob Builder")
    again = await call(door, "undo", {"log_id": admitted.json()["log_id"]})
    assert again.status_code == 200 and again.json()["headline"].startswith("Undone: Bob Builder")
    assert await door.rows("SELECT direction, reason, override, source FROM attendance_log ORDER BY id") == [
        ("IN", "not_registered", 0, "miniapp"),
        ("IN", "ok", 1, "miniapp"),
        ("UNDO", "undo", 0, "miniapp"),
    ]


async def test_a_typed_code_is_manual_and_a_scan_waits_for_its_time(door):
    typed = await call(door, "scan", scan("S1", "reg-2", "c1", typed=True))
    assert typed.json()["name"] == "Bob Builder"
    earlier = door.clock.now.timestamp() * 1000 - 60_000  # read a minute ago while offline
    await call(door, "scan", scan("S1", code(door, "REG-3"), "c2", scanned_at=int(earlier)))
    assert await door.rows("SELECT method, at FROM attendance_log ORDER BY id") == [
        ("manual", "2026-05-14T08:00:00.000000Z"),
        ("scan", "2026-05-14T07:59:00.000000Z"),
    ]


async def test_bad_init_data_is_401_and_records_nothing(door, caplog):
    now = int(door.clock.now.timestamp())
    good = init_data_for(DORA.id, TOKEN, "Dora", now)
    forged = good.replace("Dora", "Dorb")
    expired = init_data_for(DORA.id, TOKEN, "Dora", auth_date=now - 2 * 3600)
    other_bot = init_data_for(DORA.id, "654321:AAE_another_bot_token_yyyyyyyyyyy", "Dora", now)
    for init_data in ("", forged, expired, other_bot, "hash=abc"):
        answer = await call(door, "scan", scan("S1", code(door, "REG-1"), "d1"), init_data=init_data)
        assert answer.status_code == 401, init_data
        assert "expired or was not opened from Telegram" in answer.json()["message"]
    missing = await door.http.post(f"{door.api_root}/scan", content=json.dumps(scan("S1", "x", "d1")))
    assert missing.status_code == 401
    assert await log_rows(door) == []
    assert len([r for r in caplog.records if "(401)" in r.getMessage()]) == 6


async def test_a_non_scanner_or_an_unknown_session_is_403_and_records_nothing(door, caplog):
    caplog.set_level(logging.WARNING)
    ada = await call(door, "scan", scan("S1", code(door, "REG-1"), "e1"), who=ADA)
    assert ada.status_code == 403 and ada.json()["error"] == "not_scanner"
    nowhere = await call(door, "scan", scan("S404", code(door, "REG-1"), "e3"))
    assert nowhere.status_code == 403 and nowhere.json()["error"] == "unknown_session"
    assert await log_rows(door) == []
    refusals = [r.getMessage() for r in caplog.records if "refused Mini App scan" in r.getMessage()]
    assert len(refusals) == 2 and f"by user {ADA.id}: not_scanner" in refusals[0]


async def test_a_scan_for_a_session_outside_the_scanners_is_a_recorded_red_as_in_the_chat(door):
    """The rule engine's first check: the same verdict, and the same log row, as a photo in the chat."""
    await door.send(ORGANISER, "/scanner @dora_door S1")
    elsewhere = await call(door, "scan", scan("S2", code(door, "REG-1"), "e2"))
    assert elsewhere.status_code == 200
    answer = elsewhere.json()
    assert (answer["colour"], answer["reason"], answer["overridable"]) == ("red", "scanner_not_permitted", False)
    assert answer["headline"] == "You may not scan for this session"
    assert await door.rows("SELECT session_id, attendee_id, accepted, reason, source FROM attendance_log") == [
        ("S2", "REG-1", 0, "scanner_not_permitted", "miniapp")
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b"x" * 5000,
        json.dumps({"session_id": "S1", "code": "B" * 513, "scan_id": "f1"}).encode(),
        json.dumps({"session_id": "S1", "code": "B1:X", "scan_id": "has space"}).encode(),
        json.dumps({"session_id": "S1", "code": "", "scan_id": "f2"}).encode(),
        json.dumps({"session_id": "S1", "code": "   ", "scan_id": "f3"}).encode(),
        json.dumps({"session_id": 12, "code": "B1:X", "scan_id": "f4"}).encode(),
        json.dumps({"session_id": "S1", "code": "B1:X", "scan_id": "f5", "scanned_at": "soon"}).encode(),
        json.dumps({"session_id": "S1", "code": "B1:X", "scan_id": "f6", "scanned_at": 10**17}).encode(),
        json.dumps({"session_id": "S1", "code": "B1:X", "scan_id": "f7", "scanned_at": 1}).encode(),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "over-4kb",
        "code-over-512",
        "bad-scan-id",
        "empty-code",
        "blank-code",
        "session-not-text",
        "time-not-a-number",
        "time-in-the-future",
        "time-before-the-page",
    ],
)
async def test_malformed_requests_are_400_and_record_nothing(door, body):
    if body.startswith(b"{") and b"initData" not in body and body != b"{not json":
        payload = json.loads(body)
        answer = await call(door, "scan", payload)
    else:
        answer = await call(door, "scan", body)
    assert answer.status_code == 400, answer.text
    assert "Traceback" not in answer.text and answer.json()["error"]
    assert await log_rows(door) == []


async def test_a_flood_from_one_user_is_429(door):
    statuses = [(await call(door, "sessions", {})).status_code for _ in range(25)]
    assert statuses.count(200) == 20 and statuses[20:] == [429] * 5
    # Somebody else is not slowed down by Dora's flood.
    assert (await call(door, "sessions", {}, who=ADA)).status_code == 403


async def test_no_stack_trace_ever_reaches_the_page(door, monkeypatch):
    from bot.services import checkin

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(checkin, "check_in", broken)
    answer = await call(door, "scan", scan("S1", code(door, "REG-1"), "g1"))
    assert answer.status_code == 500
    assert "fire" not in answer.text and "Traceback" not in answer.text
    assert answer.json()["message"].startswith("Something went wrong")
    unknown = await call(door, "explode", {})
    assert unknown.status_code == 404 and unknown.json()["error"]


async def test_the_log_rows_equal_those_of_the_same_scans_sent_as_photos(door, tmp_path):
    """One rule engine, one log: the Mini App and a photo in the chat record the same facts."""
    for n, (session, attendee) in enumerate((("S1", "REG-1"), ("S2", "REG-2"), ("S2", "REG-3"), ("S1", "REG-1"))):
        await call(door, "scan", scan(session, code(door, attendee), f"h{n}"))
    by_app = await log_rows(door)

    (tmp_path / "chat").mkdir()
    chat = await BotHarness(tmp_path / "chat").start()
    from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV

    for name, content in (("s.csv", SESSIONS_CSV), ("a.csv", ATTENDEES_CSV), ("r.csv", REGISTRATIONS_CSV)):
        await chat.send_document(ORGANISER, content.encode(), name)
    await chat.send(DORA, "/start")
    await chat.send(ORGANISER, "/scanner @dora_door S1 S2")
    for n, (session, attendee) in enumerate((("S1", "REG-1"), ("S2", "REG-2"), ("S2", "REG-3"), ("S1", "REG-1"))):
        await chat.send(DORA, f"/scan {session}")
        secret_code = badges.make_token(chat.ctx.badge_secret, attendee, 1)
        await chat.send_photo(DORA, badge_photo(secret_code, seed=n))
    by_photo = await log_rows(chat)
    await chat.stop()
    assert by_app == by_photo and len(by_app) == 3  # the repeated S1 scan writes no row either way
