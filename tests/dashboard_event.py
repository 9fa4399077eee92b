"""A scripted morning for the dashboard's tests: four sessions around now (one ended, two running,
one to come), eleven people with names in Latin with diacritics, Cyrillic, Chinese, Korean and
Arabic, check-ins made at the times they happened (the clock moved back), a check-out, refusals.

`morning(tmp_path)` yields the harness with the web server on 127.0.0.1 (`h.root`, `h.http`);
`truth(h)` is what the database holds, counted by plain statements of its own (not the dashboard's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.agenda import running_now, shifted_agenda
from tests.harness import ORGANISER, BotHarness, User
from tests.web import PUBLIC_URL, served_with_client

# The first session began 90 minutes ago: S1 has ended, S2 and S4 are running, S3 is to come.
SESSIONS = """session_id,title,starts_at,ends_at,room,capacity,access_control,targets,pin_in,pin_out
S1,Opening keynote,2026-05-14 09:00,2026-05-14 10:00,Main hall,,no,,KEY1IN,KEY1OUT
S2,Workshop: Rust,2026-05-14 10:10,2026-05-14 11:40,Room B,3,yes,track-rust,RUST2IN,RUST2OUT
S3,Lunch talk,2026-05-14 13:00,2026-05-14 14:00,Room C,,no,,LUNCH3IN,
S4,Отчёт · 报告 · 보고서,2026-05-14 10:20,2026-05-14 11:20,Room D,40,no,,PAR4IN,PAR4OUT
"""
ATTENDEES = """attendee_id,name,email,groups,telegram
REG-1,Ada Lovelace,ada@example.org,speaker;track-rust,@ada_l
REG-2,Bob Builder,bob@example.org,,
REG-3,Cleo Patra,cleo@example.org,track-rust,333
P-01,Zoë Ångström-Øberg,zoe@example.org,,601
P-02,Иван Петрович Сидоров,ivan@example.org,,602
P-03,Мария Иванова,maria@example.org,,603
P-04,王小明,wang@example.org,,604
P-05,김민준,kim@example.org,,605
P-06,فاطمة الزهراء,fatima@example.org,,606
P-07,François Müller-Lüdenscheid,francois@example.org,,607
P-08,José Ñúñez,jose@example.org,,608
"""
REGISTRATIONS = """attendee_id,session_id
REG-1,S1
REG-2,S1
P-01,S1
P-02,S1
P-03,S1
P-04,S1
P-08,S1
REG-1,S2
P-05,S2
P-06,S2
P-07,S3
"""
ADA, CLEO = User(501, "Ada", "ada_l"), User(333, "Cleo")
PEOPLE = {
    pid: User(int(pid[2:]) + 600, pid) for pid in ("P-01", "P-02", "P-03", "P-04", "P-05", "P-06", "P-07", "P-08")
}
STRANGER = User(999, "Stranger")


@asynccontextmanager
async def morning(tmp_path: Path) -> AsyncIterator[BotHarness]:
    h = await BotHarness(tmp_path, PUBLIC_URL=PUBLIC_URL).start()
    h.offset = timedelta(0)
    h.ctx.clock = lambda: datetime.now(UTC) + h.offset
    agenda = shifted_agenda(SESSIONS, running_now("Europe/Paris", started_minutes_ago=90))
    for name, content in (("s.csv", agenda), ("a.csv", ATTENDEES), ("r.csv", REGISTRATIONS)):
        calls = await h.send_document(ORGANISER, content.encode(), name)
        assert "imported" in calls[-1].text, calls[-1].text
    try:
        await _play(h)
        async with served_with_client(h):
            yield h
    finally:
        await h.stop()


async def _at(h: BotHarness, minutes_ago: int, *sends: tuple[User, str]) -> None:
    h.offset = -timedelta(minutes=minutes_ago)
    for user, text in sends:
        await h.send(user, text)
    h.offset = timedelta(0)


async def _play(h: BotHarness) -> None:
    p = PEOPLE
    # The keynote (S1, 90 to 30 minutes ago): five of its seven registered came, one walked in unregistered.
    await _at(h, 92, (ADA, "KEY1IN"), (p["P-01"], "KEY1IN"), (p["P-02"], "KEY1IN"))
    await _at(h, 86, (p["P-03"], "KEY1IN"), (p["P-04"], "KEY1IN"), (p["P-07"], "KEY1IN"))
    await _at(h, 60, (p["P-02"], "KEY1OUT"))
    # The workshop (S2, access control, capacity 3): registered people in, Cleo (targeted) refused.
    await _at(h, 25, (ADA, "RUST2IN"), (p["P-05"], "RUST2IN"), (CLEO, "RUST2IN"))
    # The parallel session (S4): two people now, and a wrong PIN.
    await _at(h, 5, (p["P-01"], "PAR4IN"), (p["P-04"], "PAR4IN"), (p["P-03"], "WRONG9"))


def truth(h: BotHarness):
    """What the database holds, counted here with plain statements (not the dashboard's queries)."""

    def count(conn):
        def one(sql: str, *params) -> int:
            return conn.execute(sql, params).fetchone()[0]

        effective_in = (
            "accepted = 1 AND direction = 'IN' AND id NOT IN "
            "(SELECT ref_id FROM attendance_log WHERE direction = 'UNDO' AND ref_id IS NOT NULL)"
        )
        now = h.ctx.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        since = (h.ctx.clock() - timedelta(minutes=15)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        registered = {r[0] for r in conn.execute("SELECT DISTINCT attendee_id FROM registrations")}
        came = {r[0] for r in conn.execute(f"SELECT DISTINCT attendee_id FROM attendance_log WHERE {effective_in}")}
        return {
            "people": len(came),
            "expected": len(registered),
            "expected_arrived": len(registered & came),
            # Here (nobody in two rooms at once) the people whose last record is a check-in to a session
            # that has not ended are the people with a visit going on, as the dashboard counts them.
            "inside": one(
                "SELECT COUNT(DISTINCT p.attendee_id) FROM presence p JOIN sessions s USING (session_id) "
                "WHERE p.inside = 1 AND s.ends_at > ?",
                now,
            ),
            "checkins_15": one(f"SELECT COUNT(*) FROM attendance_log WHERE {effective_in} AND at >= ?", since),
            "refusals_15": one("SELECT COUNT(*) FROM attendance_log WHERE accepted = 0 AND at >= ?", since),
            "no_shows_s1": sorted(
                r[0]
                for r in conn.execute(
                    f"""SELECT attendee_id FROM registrations WHERE session_id = 'S1' AND attendee_id NOT IN
                        (SELECT attendee_id FROM attendance_log WHERE session_id = 'S1' AND {effective_in})"""
                )
            ),
        }

    return h.ctx.db.read(count)
