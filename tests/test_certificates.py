"""Certificates of attendance: the PDF (real text in every script), its PAdES signature, and the use cases."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from bot.files import certificate_signing
from bot.files.certificate_pdf import Certificate, SessionLine, certificate_pdf

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NOW = datetime(2026, 6, 12, 17, tzinfo=UTC)


def make_certificate(name: str, language: str = "en", titles=("Opening keynote", "Data workshop")) -> Certificate:
    sessions = tuple(
        SessionLine(title, datetime(2026, 6, 11, 8 + number, tzinfo=UTC), 45, Decimal("0.75"))
        for number, title in enumerate(titles)
    )
    return Certificate(
        number="7KQ2-M9XD-4TPA",
        event_name="Open Data Summit",
        event_starts=datetime(2026, 6, 11, 7, tzinfo=UTC),
        event_ends=datetime(2026, 6, 12, 16, tzinfo=UTC),
        attendee_name=name,
        attendee_id="REG-0042",
        sessions=sessions,
        total_credits=sum((line.credits for line in sessions), Decimal(0)),
        issuer="Open Data Society",
        statement="Accredited for continuing education by the Board of Examples.",
        issued_at=NOW,
        verify_url="https://attendance.example.org/verify/7KQ2M9XD4TPA.0123456789abcdef0123456789abcdef",
        timezone=ZoneInfo("Europe/Paris"),
        language=language,
    )


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def identity():
    return certificate_signing.new_identity("Open Data Summit", NOW)


@pytest.mark.parametrize("name", ["Zoë Ünal-Ångström", "Ольга Смирнова", "王小明", "김민준"])
def test_pdf_text_holds_the_name_the_sessions_and_the_total(name):
    pdf = certificate_pdf(make_certificate(name, titles=("Opening keynote", "数据 研讨会", "한국어 세션")))
    text = text_of(pdf)
    assert name in text
    for expected in ("Open Data Summit", "Opening keynote", "数据", "한국어", "Total: 2.25 credits", "7KQ2-M9XD-4TPA"):
        assert expected in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert len(pdf) < 300_000


def test_a_long_list_of_sessions_goes_on_a_second_page_under_the_headings_again():
    import dataclasses
    from datetime import timedelta

    long = " that is long enough to wrap onto a second line of the table"
    lines = tuple(
        SessionLine(f"Session {n}{long if n % 4 == 0 else ''}", NOW + timedelta(hours=n), 45, Decimal("0.75"))
        for n in range(26)
    )
    statement = "A statement long enough to wrap onto a second line, justified: " + "the words spaced out " * 8
    pdf = certificate_pdf(dataclasses.replace(make_certificate("Zoë"), sessions=lines, statement=statement))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 2 and all("Session" in page and "Minutes" in page for page in pages)
    assert all(f"Session {n}" in "".join(pages) for n in range(26))
    assert " ".join(statement.split()) in " ".join(pages[1].split())  # a justified line's spaces are spaces
    identity = certificate_signing.new_identity("Open Data Summit", NOW)
    status = validated(certificate_signing.sign(pdf, identity), certificate_signing.certificate_der(identity))
    assert status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"


def test_labels_speak_the_attendees_language_and_names_stay():
    text = text_of(certificate_pdf(make_certificate("Zoë Ünal", language="de")))
    assert "Zoë Ünal" in text and "Opening keynote" in text
    assert "Certificate of attendance" not in text  # translated
    assert "0,75" in text and "1,5" in text  # German decimal comma (two sessions of 0.75)


def validated(pdf: bytes, root_der: bytes):
    """pyHanko's validation of the PDF's one signature, trusting `root_der`."""
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(root_der)])
    return validate_pdf_signature(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0], context)


def test_signature_validates_and_one_changed_byte_fails(identity):
    signed = certificate_signing.sign(certificate_pdf(make_certificate("Zoë")), identity)
    root = asn1_x509.Certificate.load(certificate_signing.certificate_der(identity))
    status = validated(signed, certificate_signing.certificate_der(identity))
    assert status.intact and status.valid and status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"  # what a reader shows as "not modified since signed"
    # PAdES baseline B-B: these signed attributes, no signing time (the dictionary's /M says it).
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    attributes = {a["type"].native for a in embedded.signer_info["signed_attrs"]}
    assert attributes == {"content_type", "message_digest", "signing_certificate_v2"}
    assert text_of(signed) == text_of(certificate_pdf(make_certificate("Zoë")))

    tampered = bytearray(signed)
    where = signed.index(b"7KQ2-M9XD-4TPA") if b"7KQ2-M9XD-4TPA" in signed else len(signed) // 3
    tampered[where] ^= 0x01
    try:
        embedded = PdfFileReader(io.BytesIO(bytes(tampered))).embedded_signatures[0]
        broken = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))
        assert not (broken.intact and broken.valid)
    except Exception as exc:  # a damaged file may not even be read: as good a failure
        assert not isinstance(exc, AssertionError)


def test_a_batch_over_worker_processes_keeps_order_and_every_signature_validates(identity):
    from bot.files.certificate_batch import signed_pdfs

    names = ["Zoë Ünal", "Ольга Смирнова", "王小明"]
    signed = signed_pdfs([make_certificate(name) for name in names], identity, parallel=True, workers=2)
    root = asn1_x509.Certificate.load(certificate_signing.certificate_der(identity))
    for name, pdf in zip(names, signed, strict=True):
        assert name in text_of(pdf)
        status = validated(pdf, root.dump())
        assert status.intact and status.valid


def test_the_verification_qr_code_reads_back_with_its_fixed_mask():
    import zxingcpp
    from PIL import Image

    from bot.files.certificate_pdf import verification_qr

    url = "https://attendance.example.org/verify/7KQ2M9XD4TPA.0123456789abcdef0123456789abcdef"
    matrix = verification_qr(url)
    size, border, box = len(matrix), 4, 8
    image = Image.new("L", ((size + 2 * border) * box,) * 2, 255)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                image.paste(
                    0,
                    (
                        (column + border) * box,
                        (row + border) * box,
                        (column + border + 1) * box,
                        (row + border + 1) * box,
                    ),
                )
    assert [result.text for result in zxingcpp.read_barcodes(image)] == [url]


def test_a_label_the_small_font_lacks_is_drawn_from_the_larger_one(monkeypatch):
    from bot.files import certificate_fonts as module

    def clear():
        module._reduced.cache_clear()
        module._covered.cache_clear()

    clear()
    monkeypatch.setattr(module, "_CORE", ((0x20, 0x7E),))  # ASCII only: the French labels need more
    try:
        text = text_of(certificate_pdf(make_certificate("Daniel Smith", language="fr")))
    finally:
        clear()
    assert "Daniel Smith" in text and "é" in text and "\ufffd" not in text


def test_identity_repr_never_shows_the_key(identity):
    assert b"PRIVATE KEY" in identity.key_pem
    assert "PRIVATE" not in repr(identity)


def test_pkcs12_round_trip(identity, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = serialization.load_pem_private_key(identity.key_pem, None)
    cert = x509.load_pem_x509_certificate(identity.cert_pem)
    data = pkcs12.serialize_key_and_certificates(
        b"org", key, cert, None, serialization.BestAvailableEncryption(b"s3cret")
    )
    assert certificate_signing.load_pkcs12(data, "s3cret").cert_pem == identity.cert_pem
    with pytest.raises(certificate_signing.IdentityProblem):
        certificate_signing.load_pkcs12(data, "wrong")


def test_an_organisers_elliptic_curve_key_issued_by_a_ca_signs_with_its_chain():
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    def issued(subject, key, issuer, issuer_key, ca):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        usage = x509.KeyUsage(not ca, not ca, False, False, False, ca, False, False, False)
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(datetime.now(UTC) + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(issuer_key, hashes.SHA256())
        )

    ca_key, key = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP256R1())
    ca = issued("Society CA", ca_key, None, ca_key, ca=True)
    leaf = issued("Open Data Society", key, ca.subject, ca_key, ca=False)
    data = pkcs12.serialize_key_and_certificates(b"org", key, leaf, [ca], serialization.BestAvailableEncryption(b"pw"))
    organiser = certificate_signing.load_pkcs12(data, "pw")
    signed = certificate_signing.sign(certificate_pdf(make_certificate("Ольга Смирнова")), organiser)
    status = validated(signed, ca.public_bytes(serialization.Encoding.DER))
    assert status.intact and status.valid and status.bottom_line


def test_a_pkcs12_whose_key_cannot_sign_certificates_is_refused():
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Open Data Society")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=30))
        .sign(key, None)
    )
    data = pkcs12.serialize_key_and_certificates(b"org", key, cert, None, serialization.NoEncryption())
    with pytest.raises(certificate_signing.IdentityProblem, match="RSA or elliptic curve"):
        certificate_signing.load_pkcs12(data, None)


def small_pdf(*objects: bytes, trailer: bytes = b"/Root 1 0 R", entry: str = "{offset:010d}") -> bytes:
    """A PDF of `objects` (numbered from 1) with a classic cross-reference table, `entry` each
    object's offset in it, and /Size and `trailer` in its trailer."""
    out, offsets = b"%PDF-1.4\n", []
    for number, dictionary in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + dictionary + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{entry.format(offset=offset)} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} ".encode() + trailer
    return out + f" >>\nstartxref\n{xref}\n%%EOF\n".encode()


CATALOG, NO_PAGE = b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Count 0 >>"


@pytest.mark.parametrize(
    "pdf",
    [
        b"",
        b"not a PDF",
        b"%PDF-1.4\ntrailer\n<< /Size 3 /Root 9 0 R >>\nstartxref\n0\n%%EOF\n",
        b"%PDF-1.4\ntrailer\n<< /Root 1 0 R >>\nstartxref\n0\n%%EOF\n",  # no /Size
        small_pdf(CATALOG, NO_PAGE),  # no page to put the signature on
        small_pdf(CATALOG, NO_PAGE, entry="offset {offset:03d}"),  # an offset that is not a number
        small_pdf(CATALOG, NO_PAGE, trailer=b"/Info 1 0 R"),  # no /Root
        # The page's annotations in an object of their own: the signature's widget could not be added.
        small_pdf(CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", b"<< /Type /Page /Annots 4 0 R >>", b"[]"),
    ],
)
def test_a_pdf_that_cannot_be_signed_says_so_and_nothing_is_half_written(identity, pdf):
    with pytest.raises(certificate_signing.UnsignablePdf):
        certificate_signing.sign(pdf, identity)


def test_a_certificate_signed_already_is_not_signed_again(identity):
    signed = certificate_signing.sign(certificate_pdf(make_certificate("Zoë")), identity)
    with pytest.raises(certificate_signing.UnsignablePdf, match="a form already"):
        certificate_signing.sign(signed, identity)


# ---------------------------------------------------------------- the use cases, through the chat

from bot.domain import certificate_numbers as numbers  # noqa: E402
from bot.services import certificate_updates, certificates  # noqa: E402
from bot.telegram.outbox import OutboxSender  # noqa: E402
from tests.credit_event import attended  # noqa: E402
from tests.harness import ORGANISER, User  # noqa: E402


async def test_not_released_then_released_and_fetched(credits_event):
    h = credits_event
    await attended(h)
    assert "not released yet" in await h.reply_text(User(501), "/certificate")
    assert "not released yet" in await h.reply_text(ORGANISER, "/certificates reissue A1")
    assert await h.rows("SELECT count(*) FROM certificates") == [(0,)]
    assert "released: 1 issued" in await h.reply_text(ORGANISER, "/certificates release")
    calls = await h.send(User(501), "/certificate")
    document = calls[-1]
    assert document.method == "sendDocument"
    content = next(iter(document.files.values()))[1]
    assert "Anna Albers" in text_of(content)
    assert "You have no certificate" in await h.reply_text(User(503), "/certificate")
    # The same file every time.
    again = await h.send(User(501), "/certificate")
    assert next(iter(again[-1].files.values()))[1] == content


async def test_superseded_revoked_and_verified(credits_event):
    h = credits_event
    await attended(h)
    await h.reply_text(ORGANISER, "/certificates release")
    (first,) = [r[0] for r in await h.rows("SELECT number FROM certificates WHERE attendee_id = 'A1'")]
    secret = (await h.rows("SELECT value FROM settings WHERE key = 'certificate_secret'"))[0][0]
    from bot.domain import certificate_numbers as numbers

    token = numbers.token(secret, first)
    assert (await certificates.lookup(h.ctx, token)).state == "valid"
    assert await certificates.lookup(h.ctx, token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    await certificates.revoke(h.ctx, "A1")
    revoked = (await h.rows("SELECT number FROM certificates WHERE attendee_id = 'A1'"))[0][0]
    assert (await certificates.lookup(h.ctx, numbers.token(secret, revoked))).state == "revoked"
    assert "no valid certificate" in await h.reply_text(ORGANISER, "/certificates revoke A1")


async def test_send_through_the_outbox_exactly_once(credits_event):
    h = credits_event
    await attended(h)
    await h.reply_text(ORGANISER, "/certificates release")
    assert "Sending 1 certificates" in await h.reply_text(ORGANISER, "/certificates send")
    assert "Sending 0 certificates" in await h.reply_text(ORGANISER, "/certificates send")
    sender = OutboxSender(h.app, h.ctx)
    while await sender.send_due():
        pass
    documents = [c for c in h.api.sent("sendDocument") if c.chat_id in (501, 502)]
    assert sorted(c.chat_id for c in documents) == [501]
    assert all(text_of(next(iter(c.files.values()))[1]) for c in documents)


# ---------------------------------------------------------------- superseding by itself, after release

from bot.telegram import certificate_check  # noqa: E402
from tests.credit_event import SESSIONS, pin_at, upload  # noqa: E402


async def states(h) -> dict[str, tuple[str, str | None]]:
    rows = await h.rows("SELECT number, state, superseded_by FROM certificates WHERE attendee_id = 'A1'")
    return {number: (state, newer) for number, state, newer in rows}


async def told(h) -> list[tuple[int, str]]:
    rows = await h.rows("SELECT chat_id, payload FROM outbox WHERE payload LIKE '%sendMessage%' ORDER BY id")
    import json

    return [(chat_id, json.loads(payload)["params"]["text"]) for chat_id, payload in rows]


async def released_during_the_workshop(h) -> str:
    """A1 (German) attends the keynote, certificates are released, A1 is in the workshop: returns A1's number."""
    await h.reply_text(User(501), "/language de")
    await pin_at(h, 501, 8, 30, "KEYIN12")
    await pin_at(h, 501, 9, 20, "KEYOUT12")  # 50 of 60 minutes: 1.5 credits
    h.clock.now = datetime(2026, 5, 14, 9, 45, tzinfo=UTC)
    assert await certificates.release(h.ctx) == 1
    await pin_at(h, 501, 10, 0, "WORKIN13")
    (number,) = await states(h)
    return number


async def test_a_session_ending_supersedes_once_and_tells_the_attendee_once(credits_event, monkeypatch):
    h = credits_event
    first = await released_during_the_workshop(h)
    assert (await certificate_updates.check(h.ctx)).looked_at == 1  # A1's check-in: only A1 worked out again
    assert await certificate_updates.check(h.ctx) == certificate_updates.Check()  # nothing changed: nobody looked at
    await pin_at(h, 501, 10, 40, "WORKOUT13")  # 40 of 60 proportional: 1.25, once the workshop ends
    assert (await certificate_check.check(h.ctx)).superseded == 0  # not ended yet
    h.clock.now = datetime(2026, 5, 14, 11, 1, tzinfo=UTC)

    # The workshop ended: only the people recorded in it or registered for it are worked out again.
    assert await certificate_check.check(h.ctx) == certificate_updates.Check(looked_at=1, superseded=1)
    found = await states(h)
    (second,) = [n for n, (state, _) in found.items() if state == "valid"]
    assert found[first] == ("superseded", second)
    ((chat, text),) = await told(h)
    assert chat == 501 and numbers.shown(second) in text and "Teilnahme" in text  # German, as A1 chose
    verified = await certificates.lookup(h.ctx, numbers.token(await secret(h), second))
    assert verified.total == "2.75" and [s.credits for s in verified.sessions] == [Decimal("1.5"), Decimal("1.25")]

    # Again: nothing new, nobody told twice; a whole release or /certificate agrees.
    assert await certificate_updates.check(h.ctx) == certificate_updates.Check()
    assert await certificates.everyone(h.ctx) == [second]
    assert len(await told(h)) == 1 and len(await states(h)) == 2

    # Attendance rows alone (recorded late: A1 was back in the workshop): only A1 is worked out again.
    await pin_at(h, 501, 10, 45, "WORKIN13")
    await pin_at(h, 501, 10, 59, "WORKOUT13")
    h.clock.now = datetime(2026, 5, 14, 11, 2, tzinfo=UTC)
    assert await certificate_updates.check(h.ctx) == certificate_updates.Check(looked_at=1, superseded=1)
    assert len(await told(h)) == 2

    # The agenda changes: the workshop carries no credits any more, then neither does the keynote.
    monkeypatch.setattr(certificate_updates, "CHUNK", 3)  # everyone (4 attendees), in two transactions
    await upload(h, SESSIONS.replace(",2,proportional", ",0,proportional"), "sessions.csv")
    assert await certificate_updates.check(h.ctx) == certificate_updates.Check(looked_at=4, whole=True, superseded=1)
    await upload(h, SESSIONS.replace(",2,proportional", ",0,proportional").replace(",1.5,", ",0,"), "s.csv")
    assert (await certificate_updates.check(h.ctx)).withdrawn == 1
    assert await h.rows("SELECT count(*) FROM certificates WHERE state = 'valid'") == [(0,)]
    assert "nicht mehr gültig" in (await told(h))[-1][1] and len(await told(h)) == 4
    assert await certificate_updates.check(h.ctx) == certificate_updates.Check()
    assert "keine Bescheinigung" in await h.reply_text(User(501), "/certificate")


async def secret(h) -> str:
    return (await h.rows("SELECT value FROM settings WHERE key = 'certificate_secret'"))[0][0]


async def test_the_attendee_receives_the_message_and_certificate_sends_the_new_pdf(credits_event):
    h = credits_event
    first = await released_during_the_workshop(h)
    await pin_at(h, 501, 10, 40, "WORKOUT13")
    h.clock.now = datetime(2026, 5, 14, 11, 1, tzinfo=UTC)
    await certificate_check.check(h.ctx)
    sender = OutboxSender(h.app, h.ctx)
    while await sender.send_due():
        pass
    await certificate_check.check(h.ctx)
    while await sender.send_due():
        pass
    (message,) = [c for c in h.api.sent("sendMessage") if c.chat_id == 501 and "/certificate" in c.params["text"]]
    (second,) = [n for n, (state, _) in (await states(h)).items() if state == "valid"]
    assert second != first and numbers.shown(second) in message.params["text"]
    calls = await h.send(User(501), "/certificate")
    text = text_of(next(iter(calls[-1].files.values()))[1])
    assert numbers.shown(second) in text and "Workshop" in text and numbers.shown(first) not in text


async def test_revoke_is_final_until_the_organiser_reissues(credits_event):
    h = credits_event
    await attended(h)
    await h.reply_text(ORGANISER, "/certificates release")
    reply = await h.reply_text(ORGANISER, "/certificates revoke a1")
    assert "is revoked" in reply and "/certificates reissue A1" in reply
    (revoked,) = await states(h)
    # Nothing brings it back by itself: another release, the check after a change, /certificate, send.
    assert "0 issued" in await h.reply_text(ORGANISER, "/certificates release")
    await pin_at(h, 501, 10, 45, "WORKIN13")
    await pin_at(h, 501, 10, 59, "WORKOUT13")
    h.clock.now = datetime(2026, 5, 14, 12, 0, tzinfo=UTC)
    assert await certificate_updates.check(h.ctx) == certificate_updates.Check(looked_at=1)
    assert "revoked your certificate" in await h.reply_text(User(501), "/certificate")
    assert "Sending 0" in await h.reply_text(ORGANISER, "/certificates send")
    assert list(await states(h)) == [revoked]

    reply = await h.reply_text(ORGANISER, "/certificates reissue A1")
    (new,) = [n for n, (state, _) in (await states(h)).items() if state == "valid"]
    assert f"Certificate {numbers.shown(new)} is issued to A1" in reply
    assert (await states(h))[revoked] == ("revoked", None)
    verified = await certificates.lookup(h.ctx, numbers.token(await secret(h), new))
    assert verified.total == "3.25"  # 1.5 + 54 of 60 minutes, proportional
    assert f"already has a valid certificate, {numbers.shown(new)}" in await h.reply_text(
        ORGANISER, "/certificates reissue A1"
    )
    assert "A2 has no credits" in await h.reply_text(ORGANISER, "/certificates reissue A2")
    assert "There is no attendee ZZ9" in await h.reply_text(ORGANISER, "/certificates reissue ZZ9")
    assert "Use /certificates" in await h.reply_text(ORGANISER, "/certificates reissue")
    await h.reply_text(User(502), "/certificates reissue A2")  # not an organiser: refused
    assert len(await h.rows("SELECT 1 FROM certificates")) == 2


def test_cells_written_directly_are_the_operators_fpdf2_writes(monkeypatch):
    """`_Layout._cell` writes a plain cell itself: the pages' content must be fpdf2's own, byte for byte."""
    import dataclasses
    import re
    import zlib

    from bot.files import certificate_pdf as module

    def contents(pdf: bytes) -> list[bytes]:
        return [
            zlib.decompress(m.group(1))
            for m in re.finditer(rb"/FlateDecode\n/Length \d+\n>>\nstream\n(.*?)endstream", pdf, re.S)
        ]

    long = dataclasses.replace(
        make_certificate("Łukasz Dvořák", language="fr"),
        sessions=make_certificate("x").sessions * 12,
        statement="A statement long enough to wrap onto a second line, justified: " + "the words spaced out " * 8,
    )
    for certificate in (long, make_certificate("Ольга Смирнова", "de"), make_certificate("王小明", "es")):
        monkeypatch.setattr(module, "_FAST_CELLS", False)
        expected = contents(certificate_pdf(certificate))
        monkeypatch.setattr(module, "_FAST_CELLS", True)
        assert contents(certificate_pdf(certificate)) == expected


def test_a_batch_worker_cuts_its_fallback_font_once_for_the_whole_batch(monkeypatch):
    """`certificate_fonts.prepare` (a batch worker's start) makes the kept Chinese subset with every
    name's characters at once: the documents then cut no font down."""
    from bot.files import certificate_fonts

    certificate_pdf(make_certificate("王小明"))  # this process's own fonts for a Chinese certificate
    monkeypatch.setattr(certificate_fonts, "_fallbacks", {})
    try:
        certificate_fonts.prepare("王小明\n李华\n张伟")

        def no_cutting(*args, **kwargs):
            raise AssertionError("a font was cut down for a document")

        monkeypatch.setattr(certificate_fonts, "_subset_to", no_cutting)
        for name in ("李华", "张伟", "王小明"):
            assert name in text_of(certificate_pdf(make_certificate(name)))
    finally:
        certificate_fonts._remove_fallbacks()


def test_a_batch_without_its_fonts_says_which_to_install_not_that_a_worker_ended(monkeypatch):
    """`certificate_fonts.prepare` is a batch's workers' initializer: were it to raise, the pool would
    report only "a process ... terminated abruptly". It raises nothing; the document names the packages."""
    from bot.files import certificate_fonts
    from bot.files.fonts import FontsMissing

    def missing(bold=False):
        raise FontsMissing("No font for Korean text is installed: sudo apt-get install fonts-nanum")

    monkeypatch.setattr(certificate_fonts, "font_chain", missing)
    assert certificate_fonts.prepare("김민준\n王小明") is None
    with pytest.raises(FontsMissing, match="fonts-nanum"):
        certificate_pdf(make_certificate("김민준"))


def test_a_documents_own_font_is_kept_on_disk_for_the_next_process(monkeypatch):
    from bot.files import certificate_fonts

    certificate_pdf(make_certificate("Őrs Łęcka"))
    monkeypatch.setattr(certificate_fonts, "_own", {})  # a new process: nothing made in memory

    def no_cutting(*args, **kwargs):
        raise AssertionError("a font was cut down again")

    monkeypatch.setattr(certificate_fonts, "_subset_to", no_cutting)
    assert "Őrs Łęcka" in text_of(certificate_pdf(make_certificate("Őrs Łęcka")))


def test_an_own_font_no_process_used_for_weeks_is_removed(tmp_path, monkeypatch):
    import os
    import time

    from bot.files import certificate_fonts

    monkeypatch.setattr(certificate_fonts.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = certificate_fonts._font_dir.__wrapped__()
    old, recent = os.path.join(folder, "own-old.ttf"), os.path.join(folder, "own-recent.ttf")
    for path in (old, recent):
        with open(path, "wb") as file:
            file.write(b"font")
    weeks_ago = time.time() - (certificate_fonts.OWN_FONT_DAYS + 1) * 86400
    os.utime(old, (weeks_ago, weeks_ago))
    certificate_fonts._font_dir.__wrapped__()
    assert not os.path.exists(old) and os.path.exists(recent)


def test_a_font_directory_another_user_could_write_to_is_not_used(tmp_path, monkeypatch):
    """The fonts go into every certificate: a shared directory others can write to (or a link
    someone put in its place) is left alone for a private one of the process's own."""
    import os

    from bot.files import certificate_fonts

    monkeypatch.setattr(certificate_fonts.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(certificate_fonts.tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"attendance-certificate-fonts-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    used = certificate_fonts._font_dir.__wrapped__()
    assert used != str(shared) and os.stat(used).st_mode & 0o077 == 0
    shared.rmdir()
    shared.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    assert certificate_fonts._font_dir.__wrapped__() not in (str(shared), str(tmp_path / "elsewhere"))
    shared.unlink()
    shared.mkdir(mode=0o700)
    assert certificate_fonts._font_dir.__wrapped__() == str(shared)


@pytest.mark.parametrize("unfixed", [False, True])
def test_right_to_left_names_and_titles_are_shaped_and_extractable(monkeypatch, unfixed):
    """Arabic is ordered and joined by HarfBuzz where it appears (the name, a title); the Latin text
    around it is laid out as in any certificate. When HarfBuzz picks a glyph the document's own font
    has no fixed code for (`Unfixed`), the document is made again the way it was before: the same text."""
    from bot.files import certificate_font_objects

    if unfixed:

        def refuse(self, glyph):
            raise certificate_font_objects.Unfixed("test")

        monkeypatch.setattr(certificate_font_objects.FixedCodes, "pick_glyph", refuse)
    certificate = make_certificate("محمد علي", language="fr", titles=("ورشة عمل البيانات", "Data workshop"))
    text = text_of(certificate_pdf(certificate))
    assert all(word in text for word in ("محمد", "علي", "ورشة", "البيانات", "Data workshop", "Attestation"))
