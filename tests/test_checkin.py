"""The one check-in path, called as the front ends call it: no Telegram, no HTTP, a real SQLite file.

Every method (PIN, display link, shortlink, badge photo, typed code, Mini App scan, Admit anyway,
Undo) and every refusal, with what it leaves in the log. The bot-level and HTTP tests check that
the chat and the Mini App reach these use cases; here they are pinned down fast.

The sample event (tests/conftest.py) at 10:00 in Paris: S1 (the keynote, 09:00-10:00, open to
all) is in its last minute, S2 (the Rust workshop, 10:30, access control, capacity 2) has just
opened its check-in window, S3 (lunch, 12:30) opens at 12:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import badges, pins
from bot.domain.rules import UNDO_WINDOW, ActionRefusal, Method, Reason
from bot.services import access, attendance, checkin, messages, scanners, scanning, shortlinks
from bot.services import badges as badge_service
from bot.services import pins as pin_service
from bot.services.attendance import PinEntry, ShortlinkTap
from bot.services.checkin import NotDone, RequestKey
from bot.services.context import Person
from bot.services.people import StartKind
from bot.services.scanning import BadgeCodes, DoorScan, Override, ScanRefusal, Undo, miniapp_key
from bot.storage import agenda
from tests.service_event import sample_event

NOW = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)  # 10:00 in Paris
ADA = Person(4242, "Ada", username="ada_l")  # REG-1: registered for S1 and S2
CLEO = Person(333, "Cleo")  # REG-3: targeted by S2, not registered
DORA = Person(7001, "Dora", username="dora_door")  # door staff
OTTO = Person(7002, "Otto")  # door staff at S1 only
STRANGER = Person(9999, "Sam")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def ctx(tmp_path):
    async with sample_event(tmp_path, clock=Clock()) as context:
        context.bot_username = "event_bot"  # shortlinks are deep links to the bot
        await scanners.assign_scanner(context, str(DORA.user_id), ["all"])
        await scanners.assign_scanner(context, str(OTTO.user_id), ["S1"])
        yield context


_updates = iter(range(1000, 10**6))


def key() -> RequestKey:
    """A fresh chat update."""
    return RequestKey.chat(next(_updates))


async def pin(ctx, person: Person, text: str, at: RequestKey | None = None) -> checkin.CheckinOutcome:
    return await checkin.check_in(ctx, person, PinEntry(text), at or key())


def code_of(ctx, attendee_id: str, version: int = 1) -> str:
    return badges.make_token(ctx.badge_secret, attendee_id, version)


async def log(ctx) -> list[tuple]:
    rows = await ctx.db.read(
        lambda conn: conn.execute(
            "SELECT direction, method, accepted, reason, attendee_id, session_id, override, source"
            " FROM attendance_log ORDER BY id"
        ).fetchall()
    )
    return [tuple(r) for r in rows]


def reason(outcome: checkin.CheckinOutcome) -> Reason:
    return outcome.result.verdict.reason


# ---------------------------------------------------------------- PINs


async def test_a_pin_checks_in_and_the_out_pin_checks_out(ctx):
    assert reason(await pin(ctx, ADA, " key1in ")) is Reason.OK
    assert reason(await pin(ctx, ADA, "KEY1IN")) is Reason.ALREADY_CHECKED_IN
    assert reason(await pin(ctx, ADA, "KEY1OUT")) is Reason.OK
    assert reason(await pin(ctx, ADA, "KEY1OUT")) is Reason.ALREADY_CHECKED_OUT
    assert await log(ctx) == [
        ("IN", "pin", 1, "ok", "REG-1", "S1", 0, "chat"),
        ("OUT", "pin", 1, "ok", "REG-1", "S1", 0, "chat"),
    ]


async def test_an_out_pin_without_a_check_in_is_recorded_and_flagged(ctx):
    assert reason(await pin(ctx, ADA, "KEY1OUT")) is Reason.CHECKED_OUT_WITHOUT_CHECK_IN
    assert (await log(ctx))[0][2:4] == (1, "checked_out_without_check_in")


@pytest.mark.parametrize(
    ("person", "text", "minutes", "expected"),
    [
        (ADA, "NOPE42", 0, Reason.UNKNOWN_PIN),
        (ADA, "RUST2IN", -31, Reason.TOO_EARLY),  # the workshop's window opens 30 minutes before 10:30
        (ADA, "KEY1IN", 1, Reason.CLOSED),  # the keynote ended at 10:00
        (CLEO, "RUST2IN", 0, Reason.NOT_REGISTERED),  # targeted, and the event lets only the registered in
    ],
)
async def test_pin_refusals_are_recorded(ctx, person, text, minutes, expected):
    ctx.clock.now = NOW + timedelta(minutes=minutes)
    outcome = await pin(ctx, person, text)
    assert reason(outcome) is expected and not outcome.result.verdict.accepted
    assert [row[3] for row in await log(ctx)] == [expected.value]


async def test_a_full_session_refuses_the_next_but_not_who_is_inside(ctx):
    await access.set_capacity(ctx, "S1", "1")
    assert reason(await pin(ctx, ADA, "KEY1IN")) is Reason.OK
    full = await checkin.check_in(ctx, DORA, DoorScan("S1", "REG-2", True, NOW), miniapp_key("scan", "f"))
    assert reason(full) is Reason.SESSION_FULL and full.result.inside_now == 1
    assert reason(await pin(ctx, ADA, "KEY1IN")) is Reason.ALREADY_CHECKED_IN  # inside already: not "full"


async def test_too_many_wrong_pins_lock_even_the_right_one(ctx):
    for n in range(ctx.settings.pin_attempt_limit):
        assert reason(await pin(ctx, ADA, f"WRONG{n}")) is Reason.UNKNOWN_PIN
    locked = await pin(ctx, ADA, "KEY1IN")
    assert reason(locked) is Reason.TOO_MANY_ATTEMPTS and locked.result.verdict.locked_until > NOW


async def test_a_rotating_pin_from_an_older_step_is_expired(ctx):
    await pin_service.set_pin_rotation(ctx, "S2", "60")
    secret = await ctx.db.read(lambda conn: agenda.pin_secret(conn, "S2"))
    step = pins.rotation_step(NOW, 60)
    assert reason(await pin(ctx, ADA, pins.rotating_pin(secret, step - 5))) is Reason.PIN_EXPIRED
    assert reason(await pin(ctx, ADA, pins.rotating_pin(secret, step))) is Reason.OK


async def test_a_stranger_is_not_on_the_list_when_registration_is_closed(ctx):
    ctx.settings = ctx.settings.__class__(**{**ctx.settings.__dict__, "open_registration": False})
    outcome = await pin(ctx, STRANGER, "KEY1IN")
    assert outcome.not_done is NotDone.NOT_ON_LIST and outcome.results == ()
    assert await log(ctx) == []


async def test_the_same_update_again_is_answered_from_the_log_and_counted_once(ctx):
    same = key()
    first = await pin(ctx, ADA, "KEY1IN", same)
    again = await pin(ctx, ADA, "KEY1IN", same)
    assert reason(again) is Reason.OK and again.result.replayed and not first.result.replayed
    assert again.result.log_id == first.result.log_id
    assert len(await log(ctx)) == 1


# ---------------------------------------------------------------- /start payloads and shortlinks


async def test_start_with_a_display_pin_checks_in(ctx):
    outcome = await attendance.start(ctx, ADA, "pin-key1in", key())
    assert outcome.method is Method.PIN and reason(outcome.checkin) is Reason.OK


async def test_start_with_a_shortlink_checks_in_and_shows_its_popup(ctx):
    await shortlinks.set_shortlink(ctx, "SL001", "S1", popup="Slides at example.org")
    outcome = await attendance.start(ctx, ADA, "sl001", key())
    assert outcome.method is Method.SHORTLINK and reason(outcome.checkin) is Reason.OK
    assert outcome.checkin.popup == "Slides at example.org"
    assert (await log(ctx))[0][1] == "shortlink"


async def test_start_with_an_unknown_shortlink_or_invite_is_a_welcome_that_says_so(ctx):
    outcome = await attendance.start(ctx, ADA, "SL404", key())
    assert outcome.checkin is None and outcome.welcome.kind is StartKind.INVITE_UNKNOWN
    assert await log(ctx) == []


async def test_a_shortlink_removed_meanwhile_is_unknown(ctx):
    outcome = await checkin.check_in(ctx, ADA, ShortlinkTap("SL404"), key())
    assert outcome.not_done is NotDone.UNKNOWN_SHORTLINK and await log(ctx) == []


# ---------------------------------------------------------------- door staff in the chat


async def test_a_photo_from_someone_who_is_not_a_scanner_is_refused(ctx):
    with pytest.raises(ScanRefusal) as refused:
        await checkin.check_in(ctx, ADA, BadgeCodes((code_of(ctx, "REG-1"),), Method.SCAN), key())
    assert refused.value.reason is ActionRefusal.NOT_SCANNER and await log(ctx) == []


async def test_a_scanner_without_a_session_is_asked_to_choose_one(ctx):
    with pytest.raises(ScanRefusal) as refused:
        await checkin.check_in(ctx, DORA, BadgeCodes((code_of(ctx, "REG-1"),), Method.SCAN), key())
    assert refused.value.reason is ActionRefusal.NO_SESSION_CHOSEN


async def test_every_code_of_a_photo_is_judged(ctx):
    await scanning.choose_session(ctx, DORA.user_id, "S2")
    await badge_service.reissue_badge(ctx, "REG-3")
    codes = (code_of(ctx, "REG-1"), code_of(ctx, "REG-3"), "B1:forged", code_of(ctx, "REG-2"))
    outcome = await checkin.check_in(ctx, DORA, BadgeCodes(codes, Method.SCAN), key())
    assert [r.verdict.reason for r in outcome.results] == [
        Reason.OK,
        Reason.REVOKED,
        Reason.INVALID_CODE,
        Reason.NOT_REGISTERED,
    ]


async def test_a_typed_attendee_id_is_manual(ctx):
    await scanning.choose_session(ctx, DORA.user_id, "S1")
    outcome = await messages.handle_text(ctx, DORA, " reg-2 ", key())
    assert reason(outcome.scan) is Reason.OK and outcome.scan.result.method is Method.MANUAL


async def test_a_scanner_outside_their_sessions_gets_a_recorded_red_in_the_chat_and_the_miniapp(ctx):
    """Decided once for both front ends: the rule engine's `scanner_not_permitted`, logged."""
    await scanning.choose_session(ctx, OTTO.user_id, "S1")
    await scanners.assign_scanner(ctx, str(OTTO.user_id), ["S2"])  # moved while scanning at S1
    chat = await checkin.check_in(ctx, OTTO, BadgeCodes((code_of(ctx, "REG-1"),), Method.SCAN), key())
    app = await checkin.check_in(
        ctx, OTTO, DoorScan("S1", code_of(ctx, "REG-2"), False, NOW), miniapp_key("scan", "a1")
    )
    assert reason(chat) is reason(app) is Reason.SCANNER_NOT_PERMITTED
    assert [row[3:6] for row in await log(ctx)] == [
        ("scanner_not_permitted", "REG-1", "S1"),
        ("scanner_not_permitted", "REG-2", "S1"),
    ]


# ---------------------------------------------------------------- the Mini App


async def test_a_miniapp_scan_is_judged_at_its_scan_time_and_a_retry_is_counted_once(ctx):
    scan = DoorScan("S1", code_of(ctx, "REG-2"), False, NOW - timedelta(minutes=2))
    first = await checkin.check_in(ctx, DORA, scan, miniapp_key("scan", "s-1"))
    retry = await checkin.check_in(ctx, DORA, scan, miniapp_key("scan", "s-1"))
    assert reason(first) is Reason.OK and first.result.at == NOW - timedelta(minutes=2)
    assert retry.result.replayed and retry.result.log_id == first.result.log_id
    assert await log(ctx) == [("IN", "scan", 1, "ok", "REG-2", "S1", 0, "miniapp")]


async def test_a_miniapp_scan_for_an_unknown_session_is_refused(ctx):
    with pytest.raises(ScanRefusal) as refused:
        await checkin.check_in(ctx, DORA, DoorScan("S404", "REG-1", True, NOW), miniapp_key("scan", "s-2"))
    assert refused.value.reason is ActionRefusal.UNKNOWN_SESSION and await log(ctx) == []


# ---------------------------------------------------------------- Admit anyway and Undo


async def red_at_s2(ctx, scanner: Person = DORA) -> int:
    outcome = await checkin.check_in(ctx, scanner, DoorScan("S2", "REG-3", True, NOW), miniapp_key("scan", "r"))
    assert reason(outcome) is Reason.NOT_REGISTERED
    return outcome.result.log_id


async def test_admit_anyway_records_an_override_once(ctx):
    refused = await red_at_s2(ctx)
    admitted = await checkin.check_in(ctx, DORA, Override(refused), miniapp_key("override", refused))
    assert reason(admitted) is Reason.OK and admitted.result.override
    retried = await checkin.check_in(ctx, DORA, Override(refused), miniapp_key("override", refused))
    assert retried.result.replayed and retried.result.log_id == admitted.result.log_id  # the page's retry
    with pytest.raises(ScanRefusal) as twice:  # another request (the chat's button) to admit the same RED
        await checkin.check_in(ctx, DORA, Override(refused), key())
    assert twice.value.reason is ActionRefusal.ALREADY_OVERRIDDEN
    assert [row[2:7] for row in await log(ctx)] == [
        (0, "not_registered", "REG-3", "S2", 0),
        (1, "ok", "REG-3", "S2", 1),
    ]


async def test_only_the_scanner_who_saw_the_red_may_admit_anyway(ctx):
    refused = await red_at_s2(ctx)
    with pytest.raises(ScanRefusal) as other:
        await checkin.check_in(ctx, OTTO, Override(refused), key())
    assert other.value.reason is ActionRefusal.NOT_OVERRIDABLE
    pin_refusal = (await pin(ctx, CLEO, "RUST2IN")).result.log_id
    with pytest.raises(ScanRefusal) as by_pin:
        await checkin.check_in(ctx, DORA, Override(pin_refusal), key())
    assert by_pin.value.reason is ActionRefusal.NOT_OVERRIDABLE


async def test_a_scanner_removed_meanwhile_may_not_admit_anyway(ctx):
    refused = await red_at_s2(ctx)
    await scanners.assign_scanner(ctx, str(DORA.user_id), ["off"])
    with pytest.raises(ScanRefusal) as removed:
        await checkin.check_in(ctx, DORA, Override(refused), key())
    assert removed.value.reason is ActionRefusal.SCANNER_NOT_PERMITTED


async def test_undo_annuls_ones_own_green_within_the_engines_window(ctx):
    green = await checkin.check_in(ctx, DORA, DoorScan("S1", "REG-2", True, NOW), miniapp_key("scan", "u"))
    with pytest.raises(ScanRefusal) as others:
        await checkin.check_in(ctx, OTTO, Undo(green.result.log_id), key())
    assert others.value.reason is ActionRefusal.CANNOT_UNDO
    undone = await checkin.check_in(ctx, DORA, Undo(green.result.log_id), key())
    assert undone.result.direction == "UNDO" and undone.result.inside_now == 0
    assert undone.result.attendee.attendee_id == "REG-2"
    with pytest.raises(ScanRefusal) as twice:
        await checkin.check_in(ctx, DORA, Undo(green.result.log_id), key())
    assert twice.value.reason is ActionRefusal.ALREADY_UNDONE


async def test_undo_is_refused_once_the_window_has_passed(ctx):
    green = await checkin.check_in(ctx, DORA, DoorScan("S1", "REG-2", True, NOW), miniapp_key("scan", "u"))
    ctx.clock.now = NOW + UNDO_WINDOW + timedelta(seconds=1)
    with pytest.raises(ScanRefusal) as late:
        await checkin.check_in(ctx, DORA, Undo(green.result.log_id), key())
    assert late.value.reason is ActionRefusal.UNDO_TOO_LATE
    with pytest.raises(ScanRefusal) as pin_row:
        await checkin.check_in(ctx, DORA, Undo((await pin(ctx, ADA, "KEY1IN")).result.log_id), key())
    assert pin_row.value.reason is ActionRefusal.CANNOT_UNDO  # nobody at a door gave that GREEN
