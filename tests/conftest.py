"""Shared fixtures, and the markers every test gets without asking (pyproject.toml lists them).

* `browser`: drives headless Chromium: uses the `browser` fixture, or is marked
  `requires_chromium` (tests/browser.py).
* `e2e`: runs the bot, or the demo, as a process: its module uses
  rehearsal.bot_process (BotProcess, run_to_exit) or the demo package.
* `slow`: anything else that takes more than about a second: listed in SLOW below
  (measured with `pytest --durations=40`; the end of a run names unmarked tests
  slower than that).
* `bot`: goes through a front end: the real python-telegram-bot Application through
  the fake Bot API (tests/harness.py), the web server over HTTP (tests/web.py), or
  the command line (admin_commands): uses the `harness` fixture, or its module uses
  one of them.

`make test` runs everything; `make test-fast` runs the fast layer alone, the tests
with none of these four markers: the rule engine, the use cases called directly
(tests/test_checkin.py, tests/test_services.py), the domain, the file renderers,
the wording and the layout's rules.
"""

import inspect
import sys

import pytest

from rehearsal import bot_process
from tests.harness import ORGANISER, BotHarness

# module::test of the tests that take more than about a second without a browser or a process.
SLOW = {
    "test_dashboard.py::test_a_stream_pushes_every_row_first_then_only_the_rows_that_changed",
    "test_badges.py::test_tokens_fit_qr_alphanumeric_and_verify",
    "test_qr.py::test_a_distorted_badge_photo_reads_with_both_decoders",
    "test_certificates.py::test_a_batch_over_worker_processes_keeps_order_and_every_signature_validates",
    "test_hostile_input.py::test_random_updates_from_anyone_never_crash_leak_or_corrupt",
    "test_hostile_web.py::test_thousands_of_hostile_requests_get_no_5xx_no_trace_no_record_and_no_leak",
    "test_hostile_input.py::test_organiser_xlsx_with_too_many_rows_is_refused",
    "test_flood_control.py::test_check_in_then_check_out_stay_in_order_per_user_under_429s",
    "test_flood_control.py::test_burst_of_pin_check_ins_survives_repeated_429s",
    "test_flood_control.py::test_scan_reply_failing_with_400_keeps_the_scan",
    "test_flood_control.py::test_redelivered_update_while_its_reply_waits_out_a_429_is_handled_once",
    "test_printables.py::test_batches_over_worker_processes_give_the_sequential_results",
    "test_reports.py::test_session_summary",
    "test_scanner_api.py::test_the_log_rows_equal_those_of_the_same_scans_sent_as_photos",
    "test_qr.py::test_a_big_photo_is_shrunk_before_decoding_and_still_reads",
    "test_outbox.py::test_an_unanswered_request_of_the_outbox_is_never_sent_twice",
    "test_certificates.py::test_pdf_text_holds_the_name_the_sessions_and_the_total",
}
SLOW_SECONDS = 1.5  # an unmarked test slower than this is named at the end of the run
LAUNCHERS = (bot_process, bot_process.BotProcess, bot_process.run_to_exit)


def _starts_processes(module) -> bool:
    """Whether a test module imported the bot launcher, or anything of the demo (which starts the bot)."""
    for value in vars(module).values():
        if any(value is launcher for launcher in LAUNCHERS):
            return True
        origin = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if isinstance(origin, str) and (origin == "demo" or origin.startswith("demo.")):
            return True
    return False


def _drives_the_bot(module) -> bool:
    """Whether a test module goes through a front end: the bot harness, the web-server helpers or the
    command line."""
    for value in vars(module).values():
        origin = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if origin in ("tests.harness", "tests.web") or str(origin).startswith("admin_commands"):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    requires_chromium = getattr(sys.modules.get("tests.browser"), "requires_chromium", None)
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) or (
            requires_chromium is not None and requires_chromium.mark in item.iter_markers("skipif")
        ):
            item.add_marker(pytest.mark.browser)
        module = getattr(item, "module", None)
        if module is not None and _starts_processes(module):
            item.add_marker(pytest.mark.e2e)
        if "harness" in getattr(item, "fixturenames", ()) or (module is not None and _drives_the_bot(module)):
            item.add_marker(pytest.mark.bot)
        if f"{item.path.name}::{getattr(item, 'originalname', item.name)}" in SLOW:
            item.add_marker(pytest.mark.slow)


_unmarked_slow: list[tuple[float, str]] = []


def pytest_runtest_logreport(report):
    if (
        report.when == "call"
        and report.duration > SLOW_SECONDS
        and not {"slow", "e2e", "browser"} & set(report.keywords)
    ):
        _unmarked_slow.append((report.duration, report.nodeid))


def pytest_terminal_summary(terminalreporter):
    if _unmarked_slow:
        terminalreporter.section("slow tests without a marker")
        terminalreporter.write_line(
            f"These took more than {SLOW_SECONDS} s: add them to SLOW in tests/conftest.py "
            "(or they run the bot or a browser, and should say so):"
        )
        for duration, nodeid in sorted(_unmarked_slow, reverse=True):
            terminalreporter.write_line(f"  {duration:.1f} s  {nodeid}")


SESSIONS_CSV = """session_id,title,starts_at,ends_at,room,capacity,access_control,targets,pin_in,pin_out
S1,Opening keynote,2026-05-14 09:00,2026-05-14 10:00,Main hall,,no,,KEY1IN,KEY1OUT
S2,Workshop: Rust,2026-05-14 10:30,2026-05-14 12:00,Room B,2,yes,track-rust,RUST2IN,RUST2OUT
S3,Lunch talk,2026-05-14 12:30,2026-05-14 13:30,Room C,,no,,,
"""
ATTENDEES_CSV = """attendee_id,name,email,groups,telegram
REG-1,Ada Lovelace,ada@example.org,speaker;track-rust,@ada_l
REG-2,Bob Builder,bob@example.org,,
REG-3,Cleo Patra,cleo@example.org,track-rust,333
"""
REGISTRATIONS_CSV = """attendee_id,session_id
REG-1,S1
REG-1,S2
REG-2,S1
"""


@pytest.fixture
async def harness(tmp_path):
    h = await BotHarness(tmp_path).start()
    yield h
    await h.stop()


@pytest.fixture
async def event(harness):
    """A harness with the sample event imported by the organiser."""
    for name, content in (
        ("sessions.csv", SESSIONS_CSV),
        ("attendees.csv", ATTENDEES_CSV),
        ("registrations.csv", REGISTRATIONS_CSV),
    ):
        calls = await harness.send_document(ORGANISER, content.encode(), name)
        # "✅ sessions.csv: imported 2 sessions.": a refusal says "nothing was imported".
        assert calls[-1].text.startswith(f"✅ {name}: imported "), calls[-1].text
    return harness


@pytest.fixture
async def credits_event(tmp_path):
    """A small event with session credits, imported through the bot (tests/credit_event.py)."""
    from tests.credit_event import credits_event as event_with_credits

    async with event_with_credits(tmp_path) as h:
        yield h
