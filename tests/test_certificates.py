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


def test_labels_speak_the_attendees_language_and_names_stay():
    text = text_of(certificate_pdf(make_certificate("Zoë Ünal", language="de")))
    assert "Zoë Ünal" in text and "Opening keynote" in text
    assert "Certificate of attendance" not in text  # translated
    assert "0,75" in text and "1,5" in text  # German decimal comma (two sessions of 0.75)


def test_signature_validates_and_one_changed_byte_fails(identity):
    signed = certificate_signing.sign(certificate_pdf(make_certificate("Zoë")), identity)
    root = asn1_x509.Certificate.load(certificate_signing.certificate_der(identity))
    context = ValidationContext(trust_roots=[root])
    status = validate_pdf_signature(PdfFileReader(io.BytesIO(signed)).embedded_signatures[0], context)
    assert status.intact and status.valid and status.bottom_line

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
        embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
        status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))
        assert status.intact and status.valid


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


# ---------------------------------------------------------------- the use cases, through the chat

from bot.services import certificates  # noqa: E402
from bot.telegram.outbox import OutboxSender  # noqa: E402
from tests.credit_event import attended  # noqa: E402
from tests.harness import ORGANISER, User  # noqa: E402


async def test_not_released_then_released_and_fetched(credits_event):
    h = credits_event
    await attended(h)
    assert "not released yet" in await h.reply_text(User(501), "/certificate")
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
