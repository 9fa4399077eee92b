"""Organisers finding people: an attendee lookup on the command line, scanners named by the
attendees file's numeric Telegram id, scanners listed by name, and page links without PUBLIC_URL."""

from __future__ import annotations

import pytest

from admin_commands.__main__ import run
from tests.conftest import ATTENDEES_CSV, REGISTRATIONS_CSV, SESSIONS_CSV
from tests.harness import ORGANISER

# A-006 is known to the bot only by the numeric id the attendees file gives.
MORE_ATTENDEES = ATTENDEES_CSV + "A-006,Wen Li,wen@example.org,door-team,5550006\n"


@pytest.fixture
async def cli(tmp_path, monkeypatch, capsys):
    for name, text in (("s.csv", SESSIONS_CSV), ("a.csv", MORE_ATTENDEES), ("r.csv", REGISTRATIONS_CSV)):
        (tmp_path / name).write_text(text)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "event.db"))
    monkeypatch.setenv("EVENT_TIMEZONE", "Europe/Paris")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    assert await run(["import", *(str(tmp_path / n) for n in ("s.csv", "a.csv", "r.csv"))]) == 0
    capsys.readouterr()

    async def cli_run(*argv: str) -> tuple[int, str, str]:
        code = await run(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return cli_run


async def test_attendees_lists_id_name_groups_and_telegram(cli):
    code, out, _ = await cli("attendees")
    assert code == 0
    assert out.splitlines() == [
        "A-006  Wen Li  ·  groups: door-team  ·  Telegram not linked (file: 5550006)",
        "REG-1  Ada Lovelace  ·  groups: speaker, track-rust  ·  Telegram not linked (file: @ada_l)",
        "REG-2  Bob Builder  ·  groups: —  ·  Telegram not linked",
        "REG-3  Cleo Patra  ·  groups: track-rust  ·  Telegram not linked (file: 333)",
    ]


async def test_attendees_finds_by_part_of_a_name_id_or_handle(cli):
    assert (await cli("attendees", "love"))[1].startswith("REG-1  Ada Lovelace")
    assert (await cli("attendees", "reg-2"))[1].startswith("REG-2  Bob Builder")
    assert (await cli("attendees", "@ada_l"))[1].startswith("REG-1  Ada Lovelace")
    code, out, err = await cli("attendees", "Nobody")
    assert (code, out) == (1, "")
    assert err == "No attendee matches 'Nobody'. Try their attendee id, @handle or part of the name.\n"


async def test_an_unknown_attendee_points_to_the_lookup(cli):
    code, _, err = await cli("badge-token", "NOPE")
    assert code == 1
    assert err == "There is no attendee 'NOPE'. attendance-admin attendees TEXT finds attendees by name.\n"


async def test_attendees_of_an_event_without_any(tmp_path, monkeypatch, capsys):
    (tmp_path / "s.csv").write_text(SESSIONS_CSV)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "event.db"))
    monkeypatch.setenv("EVENT_TIMEZONE", "Europe/Paris")
    assert await run(["import", str(tmp_path / "s.csv")]) == 0
    capsys.readouterr()
    assert await run(["attendees"]) == 1
    assert (
        capsys.readouterr().out
        == "No attendees yet: import an attendees file first (attendance-admin import attendees.csv).\n"
    )


async def test_a_scanner_named_by_attendee_id_whose_file_gives_a_numeric_telegram_id(cli):
    code, out, err = await cli("scanner", "A-006", "S1")
    assert (code, err) == (0, "")
    assert "Wen Li (A-006)" in out
    code, out, _ = await cli("scanners")
    assert code == 0 and "• Wen Li (A-006) [5550006]: S1" in out.splitlines()  # a name, not a bare id


async def test_a_scanner_by_attendee_id_without_any_telegram_account_is_refused(cli):
    code, _, err = await cli("scanner", "REG-2", "S1")
    assert code == 1
    assert err.startswith("REG-2 (Bob Builder) has not linked Telegram yet")


async def test_a_scanner_given_by_numeric_id_is_listed_by_the_attendee_it_names(cli):
    assert (await cli("scanner", "333", "all"))[0] == 0
    assert "Cleo Patra (REG-3)" in (await cli("scanners"))[1]


@pytest.mark.parametrize("argv", [("display-link", "S1"), ("dashboard-link",)])
async def test_page_links_without_public_url_say_what_to_set(cli, argv):
    code, out, err = await cli(*argv)
    assert (code, out) == (1, "")
    assert err.startswith("Room displays and the dashboard are web pages of the bot's web server: set PUBLIC_URL")


async def test_page_links_without_public_url_in_the_chat(event):
    reply = await event.reply_text(ORGANISER, "/display S1")
    assert reply.startswith("Room displays and the dashboard are web pages") and "/display/" not in reply
    assert (await event.reply_text(ORGANISER, "/dashboard")).startswith("Room displays and the dashboard")
