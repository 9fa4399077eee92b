"""The certificate verification page, `/verify/<NUMBER>.<signature>`, over real HTTP: valid,
superseded (naming the newer number, or by none when no credits are left), revoked; unknown or
altered links get a plain 404; each client address may ask 30 pages a minute; the page speaks
`?lang=`; the link never reaches a log; and the page in Chromium under its Content-Security-Policy."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from bot.domain import certificate_numbers as numbers
from bot.services import certificate_updates, certificates
from bot.web.security import PAGE_POLICY
from bot.web.verify_pages import SlidingWindow
from tests.browser import open_browser, requires_chromium, save_screenshot, until
from tests.credit_event import ATTENDEES, LINKED, REGISTRATIONS, SESSIONS, attended, pin_at, upload
from tests.harness import BotHarness
from tests.web import PUBLIC_URL, served_with_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
async def site(tmp_path):
    """The credits event (A1, Anna Albers, earns credits; A2 and A3 none), released, served."""
    h = await BotHarness(tmp_path, PUBLIC_URL=PUBLIC_URL).start()
    try:
        for name, content in (("sessions.csv", SESSIONS), ("attendees.csv", ATTENDEES), ("r.csv", REGISTRATIONS)):
            assert (await upload(h, content, name)).startswith("✅"), name
        for attendee_id, user_id in LINKED.items():
            await h.execute("UPDATE attendees SET telegram_user_id = ? WHERE attendee_id = ?", (user_id, attendee_id))
        await attended(h)
        h.clock.now = datetime(2026, 5, 14, 10, 45, tzinfo=UTC)  # the workshop (to 11:00 UTC) counts once over
        assert await certificates.release(h.ctx) == 1
        async with served_with_client(h):
            yield h
    finally:
        await h.stop()


async def link(h: BotHarness, state: str = "valid") -> str:
    """The path of A1's latest certificate in `state`."""
    secret = (await h.rows("SELECT value FROM settings WHERE key = 'certificate_secret'"))[0][0]
    number = (
        await h.rows(
            "SELECT number FROM certificates WHERE attendee_id = 'A1' AND state = ? ORDER BY issued_at DESC", (state,)
        )
    )[0][0]
    return f"/verify/{numbers.token(secret, number)}"


async def attend_longer(h: BotHarness) -> None:
    """A1 comes back to the workshop for 10 more minutes, and it ends: their credits change, so the
    certificate check supersedes."""
    await pin_at(h, 501, 10, 46, "WORKIN13")
    await pin_at(h, 501, 10, 56, "WORKOUT13")
    h.clock.now = datetime(2026, 5, 14, 12, 0, tzinfo=UTC)
    assert (await certificate_updates.check(h.ctx)).superseded == 1  # what the bot runs every minute


def plain_text(page: str) -> str:
    return " ".join(page.split())


async def test_a_valid_certificate(site):
    path = await link(site)
    answer = await site.http.get(site.root + path)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = plain_text(answer.text)
    number = numbers.shown(path.split("/")[-1].split(".")[0])
    for expected in (
        "Anna Albers",
        "Valid:",
        number,
        "Keynote",
        "Thu 14 May, 10:30",
        "Total credits",
        'id="total">1.5<',
    ):
        assert expected in page
    assert "Workshop" not in page  # still running when the certificate was issued
    assert '<html lang="en">' in answer.text and "<script" not in answer.text and "style=" not in answer.text
    headers = answer.headers
    assert headers["content-security-policy"] == PAGE_POLICY
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store"
    css = await site.http.get(site.root + "/static/verify.css")
    assert css.status_code == 200 and css.headers["content-security-policy"] == PAGE_POLICY


async def test_superseded_names_the_newer_number_and_revoked_says_so(site):
    old = await link(site)
    await attend_longer(site)
    newer = await link(site)
    assert newer != old
    page = plain_text((await site.http.get(site.root + old)).text)
    newer_number = numbers.shown(newer.split("/")[-1].split(".")[0])
    assert "Superseded:" in page and newer_number in page
    assert "Valid:" in plain_text((await site.http.get(site.root + newer)).text)

    await certificates.revoke(site.ctx, "A1")
    answer = await site.http.get(site.root + newer)
    assert answer.status_code == 200 and "Revoked:" in plain_text(answer.text)


async def test_a_certificate_whose_credits_are_gone_says_it_is_not_valid(site):
    old = await link(site)
    await upload(site, SESSIONS.replace(",1.5,", ",0,").replace(",2,", ",0,"), "sessions.csv")  # no credits left
    assert (await certificate_updates.check(site.ctx)).withdrawn == 1
    page = plain_text((await site.http.get(site.root + old)).text)
    assert "Superseded: the attendance changed after this certificate was issued and no longer earns credits" in page
    assert "current one is" not in page


def forged(path: str) -> str:
    return path[:-1] + ("0" if path[-1] != "0" else "1")


async def test_unknown_and_altered_links_get_a_plain_404(site):
    path = await link(site)
    secret = (await site.rows("SELECT value FROM settings WHERE key = 'certificate_secret'"))[0][0]
    number = path.split("/")[-1].split(".")[0]
    other = "0" * 12 if number != "0" * 12 else "1" * 12
    for bad in (
        forged(path),
        path.replace(number, number[::-1]) if number != number[::-1] else forged(path),
        f"/verify/{numbers.token(secret, other)}",  # signed, but no such certificate
        f"/verify/{number}",
        "/verify/hello",
    ):
        answer = await site.http.get(site.root + bad)
        assert answer.status_code == 404, bad
        assert "There is no such certificate" in answer.text and "Traceback" not in answer.text
        assert "Anna" not in answer.text
        assert answer.headers["content-security-policy"] == PAGE_POLICY


async def test_the_page_speaks_the_language_of_its_link(site):
    path = await link(site)
    answer = await site.http.get(site.root + path + "?lang=de")
    assert '<html lang="de">' in answer.text and "Anna Albers" in answer.text
    assert "Total credits" not in answer.text and "Valid:" not in answer.text
    unknown = await site.http.get(site.root + forged(path) + "?lang=fr")
    assert unknown.status_code == 404 and '<html lang="fr">' in unknown.text
    assert "There is no such certificate" not in unknown.text


async def test_thirty_pages_a_minute_per_client_address(site):
    path = await link(site)
    for _ in range(30):
        assert (await site.http.get(site.root + path)).status_code == 200
    refused = await site.http.get(site.root + path)
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert refused.headers["content-security-policy"] == PAGE_POLICY
    # Another client (named by the trusted proxy on 127.0.0.1) is still served.
    other = await site.http.get(site.root + path, headers={"X-Forwarded-For": "198.51.100.7"})
    assert other.status_code == 200


def test_the_sliding_window():
    now = [0.0]
    window = SlidingWindow(limit=2, seconds=60, clock=lambda: now[0])
    assert window.allow("a") and window.allow("a") and not window.allow("a") and window.allow("b")
    now[0] = 59.9
    assert not window.allow("a")
    now[0] = 60.0  # both of the first minute's requests are a minute old
    assert window.allow("a") and window.allow("a") and not window.allow("a")


async def test_the_link_never_reaches_a_log(site, caplog):
    caplog.set_level(logging.INFO)
    path = await link(site)
    await site.http.get(site.root + path)
    await site.http.get(site.root + forged(path))
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert "GET /verify/…" in logged
    token = path.split("/")[-1]
    assert token not in logged and token.split(".")[1] not in logged and forged(path).split(".")[1] not in logged


@requires_chromium
async def test_the_page_in_chromium(site, tmp_path):
    shots = tmp_path / "verify"
    first = await link(site)
    with open_browser(width=430, height=900) as driver:

        async def show(name: str, path: str, expected: str) -> None:
            await asyncio.to_thread(driver.get, site.root + path)
            await until(driver, f"document.body.innerText.includes({expected!r})")
            save_screenshot(driver, shots, name)
            log = await asyncio.to_thread(driver.get_log, "browser")
            assert [e["message"] for e in log if "Content Security Policy" in e["message"]] == []

        await show("valid", first, "Valid:")
        await attend_longer(site)
        newer = await link(site)
        await show("superseded", first, "Superseded:")
        await certificates.revoke(site.ctx, "A1")
        await show("revoked", newer, "Revoked:")
        # The stylesheet is applied (not refused): the state's box has its colour.
        colour = await asyncio.to_thread(
            driver.execute_script, "return getComputedStyle(document.getElementById('state')).backgroundColor;"
        )
        assert colour == "rgb(253, 232, 232)"
        await show("altered", forged(newer), "There is no such certificate")
    print("screenshots in", shots)


# ---------------------------------------------------------------- the certificate settings


def test_certificate_settings_are_checked_at_start_in_one_line(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from bot.config import ConfigError, load_settings
    from bot.files import certificate_signing

    identity = certificate_signing.new_identity("Open Data Summit", datetime(2026, 5, 14, tzinfo=UTC))
    key = serialization.load_pem_private_key(identity.key_pem, None)
    cert = x509.load_pem_x509_certificate(identity.cert_pem)
    p12 = tmp_path / "org.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(b"org", key, cert, None, serialization.BestAvailableEncryption(b"pa55"))
    )

    def settings(**env):
        return load_settings(env, require_token=False)

    good = settings(
        CERTIFICATE_PKCS12=str(p12),
        CERTIFICATE_PKCS12_PASSWORD="pa55",
        CERTIFICATE_ISSUER="Open Data Society",
        CERTIFICATE_STATEMENT="Accredited by the Board of Examples.",
    )
    assert good.certificate_pkcs12 == p12 and good.certificate_issuer == "Open Data Society"
    assert good.certificate_statement == "Accredited by the Board of Examples."
    assert "pa55" not in repr(good)
    assert settings().certificate_pkcs12 is None and settings().certificate_issuer is None
    for env, expected in (
        ({"CERTIFICATE_PKCS12": str(tmp_path / "none.p12")}, "there is no such file"),
        ({"CERTIFICATE_PKCS12": str(tmp_path)}, "cannot be read"),
        ({"CERTIFICATE_PKCS12": str(p12), "CERTIFICATE_PKCS12_PASSWORD": "wrong-pa55"}, "wrong password"),
        ({"CERTIFICATE_PKCS12": str(p12)}, "wrong password"),
    ):
        with pytest.raises(ConfigError) as refused:
            settings(**env)
        message = str(refused.value)
        assert expected in message and "\n" not in message and "pa55" not in message, message
