"""Verdicts while offline: the door roster the scanner Mini App keeps, and the phone's rules against the engine's.

The roster (`POST /api/scanner/roster`, `bot.services.roster`) is authorised like every API call
and holds hashes of badge codes, never a code or the secret. The page's judgement
(`bot/web/static/door_rules.js`) runs in headless Chromium over the same cases as the Python
engine (`bot.domain.rules.judge`), and over a sequence of scans against the server's own
verdicts, so the two cannot drift apart. The page itself, offline and back, is driven in
tests/test_scanner_page.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain import badges
from bot.domain.rules import (
    AclMode,
    Attempt,
    CodeStatus,
    Direction,
    Method,
    Situation,
    Window,
    judge,
)
from bot.services.access import set_acl_mode
from bot.services.badges import reissue_badge
from bot.services.event import session_window, stored_window_settings
from bot.services.roster import code_hash, roster_salt
from tests.browser import open_browser, requires_chromium
from tests.harness import ORGANISER, BotHarness
from tests.test_scanner_api import ADA, DORA, call
from tests.web import served_with_client

DOOR_RULES = Path(__file__).resolve().parent.parent / "bot" / "web" / "static" / "door_rules.js"
SESSIONS = """session_id,title,starts_at,ends_at,room,capacity,access_control,targets
S1,Workshop,2026-05-14 09:00,2026-05-14 12:00,Room B,2,yes,crew
S2,Plenary,2026-05-14 09:00,2026-05-14 12:00,Hall,,no,
S3,Elsewhere,2026-05-14 09:00,2026-05-14 12:00,Room C,,no,
"""
PEOPLE = "attendee_id,name,groups\n" + "".join(f"P{n},Person {n},{'crew' if n == 7 else ''}\n" for n in range(1, 8))
REGISTRATIONS = "attendee_id,session_id\nP1,S1\nP2,S1\nP3,S1\nP4,S1\n"


@pytest.fixture
async def door(tmp_path):
    """S1: access control, capacity 2, aimed at the crew (P7); P1-P4 registered. Dora scans S1 and S2."""
    h = await BotHarness(tmp_path, PUBLIC_URL="https://door.example.org").start()
    for name, content in (("s.csv", SESSIONS), ("a.csv", PEOPLE), ("r.csv", REGISTRATIONS)):
        await h.send_document(ORGANISER, content.encode(), name)
    await h.send(DORA, "/start")
    await h.send(ORGANISER, "/scanner @dora_door S1 S2")
    async with served_with_client(h):
        h.api_root = f"{h.root}/api/scanner"
        yield h
    await h.stop()


def token(h: BotHarness, attendee_id: str, version: int = 1) -> str:
    return badges.make_token(h.ctx.badge_secret, attendee_id, version)


def ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


async def test_the_roster_holds_hashes_names_and_counts_never_a_code_or_the_secret(door):
    await reissue_badge(door.ctx, "P4")
    answer = await call(door, "roster", {"session_id": "S1"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    roster = answer.json()
    secret, salt = door.ctx.badge_secret, roster_salt(door.ctx.badge_secret)
    for attendee_id, version in [(f"P{n}", 1) for n in range(1, 8)] + [("P4", 2)]:
        assert token(door, attendee_id, version) not in answer.text
    assert secret not in answer.text and roster["salt"] == salt
    # Everyone with a badge: the imported attendees, and Dora, who became a walk-in (TG-700) with /start.
    assert [p[1] for p in roster["people"]] == [*(f"P{n}" for n in range(1, 8)), "TG-700"]
    assert roster["people"][:7] == [
        [code_hash(salt, token(door, f"P{n}", 2 if n == 4 else 1)), f"P{n}", f"Person {n}", flags]
        for n, flags in zip(range(1, 8), (1, 1, 1, 1, 0, 0, 2), strict=True)
    ]
    assert roster["revoked"] == [code_hash(salt, token(door, "P4", 1))]
    assert (roster["session"], roster["capacity"], roster["access_control"], roster["acl_mode"]) == (
        "S1",
        2,
        True,
        "exclude",
    )
    window = await door.ctx.db.read(
        lambda conn: session_window(_session(conn, "S1"), Direction.IN, stored_window_settings(conn))
    )
    assert roster["window"] == {"opens": ms(window.opens), "closes": ms(window.closes)}
    assert (roster["inside"], roster["inside_since"], roster["timezone"]) == (0, [], "Europe/Paris")

    # Refreshed with the version the phone has: only the counts come back while nobody changed.
    scanned = await call(door, "scan", {"session_id": "S1", "code": token(door, "P1"), "scan_id": "r1"})
    assert scanned.json()["colour"] == "green"
    again = (await call(door, "roster", {"session_id": "S1", "have": roster["version"]})).json()
    assert again["unchanged"] is True and "people" not in again and "revoked" not in again
    assert (again["inside"], again["inside_since"]) == (1, [["P1", ms(door.clock.now)]])
    for odd in (["x"], 12, None, "0" * 16):  # anything but the current version: the whole roster
        assert len((await call(door, "roster", {"session_id": "S1", "have": odd})).json()["people"]) == 8
    await reissue_badge(door.ctx, "P2")
    changed = (await call(door, "roster", {"session_id": "S1", "have": roster["version"]})).json()
    assert "unchanged" not in changed and changed["version"] != roster["version"]
    assert code_hash(salt, token(door, "P2", 1)) in changed["revoked"]


def _session(conn, session_id):
    from bot.storage import agenda

    return agenda.get_session(conn, session_id)


@pytest.mark.parametrize(
    ("who", "body", "init_data", "status", "error"),
    [
        (DORA, {"session_id": "S1"}, "user=%7B%22id%22%3A700%7D&hash=00", 401, "initData"),
        (ADA, {"session_id": "S1"}, None, 403, "not_scanner"),
        (DORA, {"session_id": "S404"}, None, 403, "unknown_session"),
        (DORA, {"session_id": "S3"}, None, 403, "scanner_not_permitted"),
        (DORA, {}, None, 400, "session_id missing or over 32 characters"),
        (DORA, {"session_id": ["S1"]}, None, 400, "session_id missing or over 32 characters"),
    ],
    ids=["bad-init-data", "not-a-scanner", "unknown-session", "not-her-session", "no-session", "session-not-text"],
)
async def test_the_roster_is_only_for_a_scanner_of_that_session(door, who, body, init_data, status, error):
    answer = await call(door, "roster", body, who=who, init_data=init_data)
    assert answer.status_code == status and answer.json()["error"] == error
    assert "people" not in answer.text and "Traceback" not in answer.text


# ---------------------------------------------------------------- the phone's rules against the engine's

T0 = datetime(2026, 5, 14, 10, 0, tzinfo=UTC)
WINDOWS = {
    "none": None,
    "early": Window(T0 + timedelta(minutes=5), T0 + timedelta(hours=1)),
    "open": Window(T0 - timedelta(minutes=5), T0 + timedelta(hours=1)),
    "late": Window(T0 - timedelta(hours=2), T0 - timedelta(minutes=1)),
}


def _cases() -> list[tuple[Attempt, Situation]]:
    """Every combination the door meets: the early refusals once each, then every situation."""
    plain = Situation(False, AclMode.EXCLUDE_TARGETS, None, 0, True, False, None, now=T0)
    cases = [
        (Attempt(Direction.IN, method, scanner_permitted=permitted, code_status=status), plain)
        for method, permitted, status in itertools.product((Method.SCAN, Method.MANUAL), (True, False), CodeStatus)
    ]
    for override, window, access, mode, registered, targeted, capacity, others, last in itertools.product(
        (False, True),
        WINDOWS.values(),
        (False, True),
        AclMode,
        (False, True),
        (False, True),
        (None, 0, 2),
        (0, 1, 2, 3),
        (None, Direction.IN, Direction.OUT),
    ):
        attempt = Attempt(Direction.IN, Method.SCAN, override, scanner_permitted=True, code_status=CodeStatus.VALID)
        last_at = T0 - timedelta(minutes=20) if last else None
        cases.append(
            (attempt, Situation(access, mode, capacity, others, registered, targeted, last, last_at, window, T0))
        )
    return cases


def _as_json(attempt: Attempt, situation: Situation) -> dict:
    window = situation.window
    return {
        "attempt": {
            "direction": attempt.direction.value,
            "method": attempt.method.value,
            "override": attempt.override,
            "scanner_permitted": attempt.scanner_permitted,
            "code_status": attempt.code_status.value,
        },
        "situation": {
            "access_control": situation.access_control,
            "acl_mode": situation.acl_mode.value,
            "capacity": situation.capacity,
            "others_inside": situation.others_inside,
            "registered": situation.registered,
            "targeted": situation.targeted,
            "last_direction": situation.last_direction.value if situation.last_direction else None,
            "last_at": ms(situation.last_at) if situation.last_at else None,
            "window": {"opens": ms(window.opens), "closes": ms(window.closes)} if window else None,
            "now": ms(situation.now),
        },
    }


def _python_verdict(attempt: Attempt, situation: Situation) -> list:
    v = judge(attempt, situation)
    return [v.reason.value, ms(v.window_at) if v.window_at else None, ms(v.earlier_at) if v.earlier_at else None]


JS_VERDICTS = """
return arguments[0].map(({attempt, situation}) => {
  const v = DoorRules.judge(attempt, attempt.code_status === "valid" && attempt.scanner_permitted ? situation : null);
  return [v.reason, v.window_at ?? null, v.earlier_at ?? null];
});
"""


def load_rules(driver) -> None:
    driver.get("about:blank")
    driver.execute_script(f"window.DoorRules = (() => {{ {DOOR_RULES.read_text('utf-8')}\nreturn DoorRules; }})();")


@requires_chromium
async def test_the_phone_judges_as_the_engine_and_the_server_do(door):
    """One browser for three checks: the rule table, the hash, and a sequence of scans at S1."""
    cases = _cases()
    texts = ["", "a", "B1:P1:1:ABCDEFGHIJKLMNOP", "Ünïcødé 漢字 🙂"] + ["x" * n for n in (55, 56, 63, 64, 65, 119, 200)]
    salt = roster_salt(door.ctx.badge_secret)
    codes = [f"  {token(door, 'P1').lower()} \n", token(door, "P1")]  # read as the engine reads it

    # The sequence, with include-targets access control: P7 (the crew, not registered) may come in.
    await set_acl_mode(door.ctx, "include")
    await reissue_badge(door.ctx, "P4")
    inside = await call(door, "scan", {"session_id": "S1", "code": token(door, "P7"), "scan_id": "before"})
    assert inside.json()["colour"] == "green"
    roster = (await call(door, "roster", {"session_id": "S1"})).json()
    scans = [
        (token(door, "P1"), False),  # ok: P7 inside, one place left
        (token(door, "P2"), False),  # full: P7 and the phone's own P1
        (token(door, "P7"), False),  # already inside at the refresh (not full: the others are P1 only)
        (token(door, "P1"), False),  # already: this phone let P1 in
        (token(door, "P5"), False),  # not registered, not targeted
        (token(door, "P2")[:-4] + "AAAA", False),  # forged
        (token(door, "P4", 1), False),  # revoked
        ("p3", True),  # a typed attendee id: full
        (token(door, "P4", 2), True),  # a typed badge code: full
        ("nobody", True),  # invalid
        ("P3", False),  # an attendee id read by the camera is no badge: invalid
    ]
    server = []
    for n, (text, typed) in enumerate(scans):
        answer = (
            await call(door, "scan", {"session_id": "S1", "code": text, "typed": typed, "scan_id": f"s{n}"})
        ).json()
        server.append([answer["reason"], answer["attendee_id"], answer["inside"]])
    now = ms(door.clock.now)

    def in_chromium():
        with open_browser() as driver:
            load_rules(driver)
            js = driver.execute_script(JS_VERDICTS, [_as_json(a, s) for a, s in cases])
            hashes = driver.execute_script("return arguments[0].map(DoorRules.sha256);", texts)
            code_hashes = driver.execute_script(
                "return arguments[1].map(c => DoorRules.codeHash(arguments[0], c));", salt, codes
            )
            phone = driver.execute_script(
                """const roster = DoorRules.indexRoster(arguments[0]), pending = [];
                   return arguments[1].map(([text, typed]) => {
                     const j = DoorRules.judgeScan(roster, text, typed, arguments[2], pending);
                     if (j.verdict.reason === "ok") pending.push({attendee_id: j.person.id, at: arguments[2]});
                     return [j.verdict.reason, j.person ? j.person.id : null, j.inside];
                   });""",
                roster,
                scans,
                now,
            )
            return js, hashes, code_hashes, phone

    js, hashes, code_hashes, phone = await asyncio.to_thread(in_chromium)
    assert len(cases) > 2000
    python = [_python_verdict(a, s) for a, s in cases]
    mismatches = [(c, p, j) for c, p, j in zip(cases, python, js, strict=True) if p != j]
    assert not mismatches, mismatches[:3]
    assert hashes == [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    assert code_hashes == [code_hash(salt, c) for c in codes] and code_hashes[0] == code_hash(salt, codes[1])
    assert [p[0] for p in phone] == [
        "ok",
        "session_full",
        "already_checked_in",
        "already_checked_in",
        "not_registered",
        "invalid_code",
        "revoked",
        "session_full",
        "session_full",
        "invalid_code",
        "invalid_code",
    ]
    # The server agrees, verdict by verdict, with the people and counts the card shows
    # (the phone does not know whose a revoked code was).
    server[6][1:] = [None, None]
    assert phone == server
