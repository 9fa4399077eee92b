"""The rule engine, exhaustively: every combination of facts against an
independent statement of the product's rule table."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.rules import (
    AclMode,
    Attempt,
    CodeStatus,
    Direction,
    Method,
    Reason,
    Situation,
    Window,
    WindowSettings,
    attendance_window,
    judge,
    overridable,
    pin_locked_until,
)

T0 = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)


def situations():
    for access, mode, capacity, others, registered, targeted, last, window in itertools.product(
        (False, True),
        tuple(AclMode),
        (None, 0, 1, 3),
        (0, 1, 3),
        (False, True),
        (False, True),
        (None, Direction.IN, Direction.OUT),
        WINDOWS,
    ):
        yield Situation(access, mode, capacity, others, registered, targeted, last, T0 if last else None, window, T0)


# No window, a window around T0 (both ends included), one that opens after T0, one that closed before it.
WINDOWS = (
    None,
    Window(T0, T0),
    Window(T0 + timedelta(seconds=1), T0 + timedelta(hours=1)),
    Window(T0 - timedelta(hours=1), T0 - timedelta(seconds=1)),
)


def expected(attempt: Attempt, s: Situation) -> Reason:
    """The rule table of docs/product.md section 3, written out plainly."""
    if attempt.method in (Method.SCAN, Method.MANUAL):
        if not attempt.scanner_permitted:
            return Reason.SCANNER_NOT_PERMITTED
        if attempt.code_status is CodeStatus.INVALID:
            return Reason.INVALID_CODE
        if attempt.code_status is CodeStatus.REVOKED:
            return Reason.REVOKED
    if attempt.method is Method.PIN:
        if attempt.pin_locked_until:
            return Reason.TOO_MANY_ATTEMPTS
        if attempt.pin_expired:
            return Reason.PIN_EXPIRED
        if not attempt.pin_known:
            return Reason.UNKNOWN_PIN
    if s.window is not None and not attempt.override:
        if s.window.opens > T0:
            return Reason.TOO_EARLY
        if s.window.closes < T0:
            return Reason.CLOSED
    if attempt.direction is Direction.OUT:
        return {
            None: Reason.CHECKED_OUT_WITHOUT_CHECK_IN,
            Direction.IN: Reason.OK,
            Direction.OUT: Reason.ALREADY_CHECKED_OUT,
        }[s.last_direction]
    allowed = s.registered or (s.acl_mode is AclMode.INCLUDE_TARGETS and s.targeted)
    if not attempt.override and s.access_control and not allowed:
        return Reason.NOT_REGISTERED
    if not attempt.override and s.capacity is not None and s.others_inside >= s.capacity:
        return Reason.SESSION_FULL
    if s.last_direction is Direction.IN:
        return Reason.ALREADY_CHECKED_IN
    return Reason.OK


def attempts():
    for override, permitted, status in itertools.product((False, True), (False, True), tuple(CodeStatus)):
        for method in (Method.SCAN, Method.MANUAL):
            yield Attempt(Direction.IN, method, override=override, scanner_permitted=permitted, code_status=status)
    for direction, locked, known, expired in itertools.product(
        (Direction.IN, Direction.OUT), (None, T0), (False, True), (False, True)
    ):
        if known and expired:
            continue  # an expired rotating PIN is not a known PIN
        yield Attempt(direction, Method.PIN, pin_locked_until=locked, pin_known=known, pin_expired=expired)
    yield Attempt(Direction.IN, Method.SHORTLINK)


def test_every_combination_follows_the_rule_table():
    checked = 0
    for attempt in attempts():
        for s in situations():
            verdict = judge(attempt, s)
            assert verdict.reason is expected(attempt, s), (attempt, s)
            checked += 1
    assert checked > 10_000


def test_verdict_properties():
    ok = judge(
        Attempt(Direction.IN, Method.SHORTLINK), Situation(False, AclMode.EXCLUDE_TARGETS, None, 0, True, False, None)
    )
    assert ok.accepted and ok.recorded and not overridable(ok.reason, Method.SCAN)
    again = judge(
        Attempt(Direction.IN, Method.SHORTLINK),
        Situation(False, AclMode.EXCLUDE_TARGETS, None, 0, True, False, Direction.IN, T0),
    )
    assert again.reason is Reason.ALREADY_CHECKED_IN and not again.recorded and again.earlier_at == T0
    full = judge(
        Attempt(Direction.IN, Method.SCAN, scanner_permitted=True, code_status=CodeStatus.VALID),
        Situation(False, AclMode.EXCLUDE_TARGETS, 1, 1, True, False, None),
    )
    assert (
        full.reason is Reason.SESSION_FULL
        and overridable(full.reason, Method.SCAN)
        and full.recorded
        and not full.accepted
    )


def test_failures_before_the_situation_need_no_situation():
    assert (
        judge(Attempt(Direction.IN, Method.SCAN, scanner_permitted=False), None).reason is Reason.SCANNER_NOT_PERMITTED
    )
    assert judge(Attempt(Direction.IN, Method.PIN, pin_known=False), None).reason is Reason.UNKNOWN_PIN
    with pytest.raises(ValueError):
        judge(Attempt(Direction.IN, Method.PIN, pin_known=True), None)
    with pytest.raises(ValueError):
        judge(Attempt(Direction.OUT, Method.SHORTLINK), None)


@given(st.lists(st.integers(min_value=0, max_value=3600), max_size=20), st.integers(1, 8), st.integers(60, 1800))
def test_pin_lock_opens_exactly_when_fewer_than_limit_remain(offsets, limit, window_s):
    now = T0 + timedelta(hours=1)
    window = timedelta(seconds=window_s)
    times = [now - timedelta(seconds=o) for o in offsets]
    until = pin_locked_until(times, limit, window, now)
    recent = [t for t in times if now - t < window]
    if len(recent) < limit:
        assert until is None
    else:
        assert until > now
        later = [t for t in times if until - t < window and t <= now]
        assert len(later) < limit  # at `until`, the window holds fewer than `limit`


def test_scanner_reasons_cover_every_verdict_a_scan_can_get():
    """`SCANNER_REASONS` is what the scanner's wording must cover: it must hold every reason `judge` gives a scan."""
    from bot.domain.rules import SCANNER_REASONS

    seen = set()
    for attempt in attempts():
        if attempt.method not in (Method.SCAN, Method.MANUAL):
            continue
        for s in situations():
            seen.add(judge(attempt, s).reason)
    assert seen == SCANNER_REASONS


def test_only_the_scanner_who_saw_a_red_may_admit_anyway_once():
    from bot.domain.rules import ActionRefusal, override_refusal

    assert override_refusal(Reason.SESSION_FULL, Method.SCAN, 7, 7, False) is None
    assert override_refusal(Reason.SESSION_FULL, Method.SCAN, 7, 8, False) is ActionRefusal.NOT_OVERRIDABLE
    assert override_refusal(Reason.SESSION_FULL, Method.PIN, None, 7, False) is ActionRefusal.NOT_OVERRIDABLE
    assert override_refusal(Reason.INVALID_CODE, Method.SCAN, 7, 7, False) is ActionRefusal.NOT_OVERRIDABLE
    assert override_refusal(Reason.NOT_REGISTERED, Method.MANUAL, 7, 7, True) is ActionRefusal.ALREADY_OVERRIDDEN


def test_a_scanner_may_undo_their_own_green_within_the_window():
    from bot.domain.rules import UNDO_WINDOW, ActionRefusal, undo_refusal

    fresh = timedelta(minutes=1)
    assert undo_refusal(True, Direction.IN, Method.SCAN, 7, 7, fresh, False) is None
    assert undo_refusal(True, Direction.IN, Method.SCAN, 7, 7, UNDO_WINDOW, False) is None
    late = UNDO_WINDOW + timedelta(seconds=1)
    assert undo_refusal(True, Direction.IN, Method.SCAN, 7, 7, late, False) is ActionRefusal.UNDO_TOO_LATE
    assert undo_refusal(True, Direction.IN, Method.SCAN, 7, 8, fresh, False) is ActionRefusal.CANNOT_UNDO
    assert undo_refusal(True, Direction.IN, Method.PIN, 7, 7, fresh, False) is ActionRefusal.CANNOT_UNDO
    assert undo_refusal(False, Direction.IN, Method.SCAN, 7, 7, fresh, False) is ActionRefusal.CANNOT_UNDO
    assert undo_refusal(True, Direction.IN, Method.SCAN, 7, 7, fresh, True) is ActionRefusal.ALREADY_UNDONE


def test_default_windows_open_30_minutes_early_and_take_check_outs_for_an_hour():
    starts, ends = T0, T0 + timedelta(hours=1)
    defaults = WindowSettings()
    assert attendance_window(Direction.IN, starts, ends, defaults) == Window(T0 - timedelta(minutes=30), ends)
    assert attendance_window(Direction.OUT, starts, ends, defaults) == Window(
        T0 - timedelta(minutes=30), ends + timedelta(minutes=60)
    )


def test_a_sessions_own_times_replace_the_defaults():
    starts, ends = T0, T0 + timedelta(hours=1)
    own_open, own_close = T0 - timedelta(hours=2), T0 + timedelta(minutes=10)
    window = attendance_window(Direction.IN, starts, ends, WindowSettings(), own_open, own_close)
    assert window == Window(own_open, own_close)
    # Check-outs still run until an hour after the end, the later of the two.
    assert attendance_window(Direction.OUT, starts, ends, WindowSettings(), own_open, own_close).closes == ends + (
        timedelta(minutes=60)
    )


def test_the_window_says_when_it_opens_or_closed():
    situation = Situation(False, AclMode.EXCLUDE_TARGETS, None, 0, True, False, None)
    early = Situation(
        **{**vars(situation), "window": Window(T0 + timedelta(minutes=5), T0 + timedelta(hours=1)), "now": T0}
    )
    verdict = judge(Attempt(Direction.IN, Method.SHORTLINK), early)
    assert (verdict.reason, verdict.window_at) == (Reason.TOO_EARLY, T0 + timedelta(minutes=5))
    assert verdict.recorded and not verdict.accepted
    late = Situation(
        **{**vars(situation), "window": Window(T0 - timedelta(hours=2), T0 - timedelta(hours=1)), "now": T0}
    )
    verdict = judge(Attempt(Direction.IN, Method.PIN, pin_known=True), late)
    assert (verdict.reason, verdict.window_at) == (Reason.CLOSED, T0 - timedelta(hours=1))
    # A scanner's override admits outside the window.
    scan = Attempt(Direction.IN, Method.SCAN, override=True, scanner_permitted=True, code_status=CodeStatus.VALID)
    assert judge(scan, late).reason is Reason.OK
    assert overridable(Reason.TOO_EARLY, Method.SCAN) and overridable(Reason.CLOSED, Method.MANUAL)
    assert not overridable(Reason.CLOSED, Method.PIN)
