"""PAdES signatures on certificates, and the key that makes them.

The signing identity is either the organiser's own PKCS#12 file (`CERTIFICATE_PKCS12`,
read with `CERTIFICATE_PKCS12_PASSWORD`), or a key and self-signed X.509 certificate made
on first use (`new_identity`) and kept in the event's database, so a backup of the event
carries it and every certificate of the event is signed by the same key. A PDF reader
shows a self-signed signature as "signed, identity not trusted", and still shows any
change after signing; the verification page is what proves a certificate is the event's.

How a PDF is signed (`sign`): one incremental update appended to the PDF, written here: the
catalogue with an AcroForm, the first page with the signature's widget, the field and its
signature dictionary (SubFilter ETSI.CAdES.detached) whose /ByteRange covers the whole file
but the /Contents hex string; then the CMS SignedData of PAdES baseline B-B (signed attributes
content type, message digest and signing certificate v2; no signing time: PAdES takes it from
/M) over the SHA-256 of those ranges, signed with `cryptography`, written into /Contents. One
path for every identity: the parts that do not change between documents (the certificates, the
signer's identifier, the algorithms, the signing certificate attribute) are encoded once per
process and identity (`_Signer`), so a document costs its hash, one private-key operation and
some byte joins. pyHanko did the same in about 20 ms of CPU a certificate (building the CMS with
asn1crypto, reading the PDF back, writing the update), this in about 1 ms; pyHanko stays what the
tests validate every signature with. Keys: RSA (PKCS#1 v1.5 with SHA-256, what every PDF reader
verifies) and elliptic curve (ECDSA with SHA-256); a PKCS#12 file with another kind of key is
refused when the bot starts. `new_identity` makes RSA-2048: an ECDSA P-256 signature is 0.6 ms
cheaper (0.07 against 0.7 ms), a few percent of a certificate, not worth older readers' support.

The private key is held as PEM bytes in `Identity`, whose `repr` leaves it out, and is
never logged. Pure bytes in, bytes out: no database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

VALID_YEARS = 20


@dataclass(frozen=True)
class Identity:
    """A signing key and its certificate chain, PEM (DER for the chain's extra certificates)."""

    key_pem: bytes = field(repr=False)
    cert_pem: bytes
    chain_der: tuple[bytes, ...] = ()


class IdentityProblem(Exception):
    """A PKCS#12 file that cannot be used; the message is one line saying why."""


def new_identity(common_name: str, now: dt.datetime) -> Identity:
    """A fresh RSA-2048 key and a self-signed certificate for `common_name` (the event)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, (common_name or "Attendance certificates")[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Certificates of attendance"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Identity(key_pem, certificate.public_bytes(serialization.Encoding.PEM))


def load_pkcs12(data: bytes, password: str | None) -> Identity:
    """The identity in a PKCS#12 (.p12/.pfx) file's bytes; `IdentityProblem` when it has none, or
    a key that `sign` cannot use (neither RSA nor elliptic curve)."""
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError:
        raise IdentityProblem("cannot be opened: wrong password, or not a PKCS#12 file") from None
    if key is None or certificate is None:
        raise IdentityProblem("holds no private key and certificate")
    key_pem = _signing_key(key).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = tuple(c.public_bytes(serialization.Encoding.DER) for c in extra or ())
    return Identity(key_pem, certificate.public_bytes(serialization.Encoding.PEM), chain)


def _signing_key(key: object) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """`key` when `sign` can use it; `IdentityProblem` otherwise."""
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise IdentityProblem("holds a key that cannot sign certificates (an RSA or elliptic curve key can)")
    return key


def certificate_der(identity: Identity) -> bytes:
    return x509.load_pem_x509_certificate(identity.cert_pem).public_bytes(serialization.Encoding.DER)


# ---------------------------------------------------------------- the CMS signature


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


_SHA256 = asn1_cms.DigestAlgorithm({"algorithm": "sha256"}).dump()
_SIGNED_DATA_OID = asn1_cms.ContentType("signed_data").dump()
_MESSAGE_DIGEST_OID = asn1_cms.CMSAttributeType("message_digest").dump()


class _Signer:
    """What every signature of one identity shares, encoded once: the key loaded, the SignedData's
    head (version, digest algorithm, content type, certificates), the SignerInfo's head (version,
    issuer and serial number, digest algorithm) and its signature algorithm, the content type and
    signing certificate v2 attributes (the certificate's SHA-256 and issuer and serial number)."""

    def __init__(self, identity: Identity) -> None:
        key = serialization.load_pem_private_key(identity.key_pem, password=None)
        self.key = _signing_key(key)
        der = certificate_der(identity)
        cert = asn1_x509.Certificate.load(der)
        if isinstance(key, rsa.RSAPrivateKey):
            algorithm, self.signature_size = "sha256_rsa", key.key_size // 8
        else:  # an ECDSA signature is a SEQUENCE of two integers of the curve's size, and a few bytes
            algorithm, self.signature_size = "sha256_ecdsa", 2 * ((key.curve.key_size + 7) // 8) + 9
        self.signature_algorithm = asn1_cms.SignedDigestAlgorithm({"algorithm": algorithm}).dump()
        sid = asn1_cms.SignerIdentifier(
            "issuer_and_serial_number",
            asn1_cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number}),
        )
        self.signer_head = asn1_cms.CMSVersion(1).dump() + sid.dump() + _SHA256
        certificates = der + b"".join(identity.chain_der)
        self.certificates_size = len(certificates)
        self.data_head = (
            asn1_cms.CMSVersion(1).dump()
            + _tlv(0x31, _SHA256)
            + asn1_cms.EncapsulatedContentInfo({"content_type": "data"}).dump()
            + _tlv(0xA0, certificates)
        )
        signing_certificate = asn1_tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "cert_hash": hashlib.sha256(der).digest(),
                        "issuer_serial": {
                            "issuer": [asn1_x509.GeneralName("directory_name", cert.issuer)],
                            "serial_number": cert.serial_number,
                        },
                    }
                ]
            }
        )
        self.attributes = [
            asn1_cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump(),
            asn1_cms.CMSAttribute({"type": "signing_certificate_v2", "values": [signing_certificate]}).dump(),
        ]

    def room(self) -> int:
        """The most bytes a SignedData of this identity takes: certificates, signature, attributes,
        with a margin."""
        return self.certificates_size + self.signature_size + 1024

    def signed_data(self, digest: bytes) -> bytes:
        """The DER ContentInfo holding the SignedData over content whose SHA-256 is `digest`."""
        message_digest = _tlv(0x30, _MESSAGE_DIGEST_OID + _tlv(0x31, _tlv(0x04, digest)))
        attributes = b"".join(sorted([*self.attributes, message_digest]))  # DER: a SET OF in order
        signed = _tlv(0x31, attributes)  # what is signed: the attributes as a SET
        if isinstance(self.key, rsa.RSAPrivateKey):
            signature = self.key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        signer = _tlv(
            0x30,
            self.signer_head + _tlv(0xA0, attributes) + self.signature_algorithm + _tlv(0x04, signature),
        )
        return _tlv(0x30, _SIGNED_DATA_OID + _tlv(0xA0, _tlv(0x30, self.data_head + _tlv(0x31, signer))))


@lru_cache(maxsize=4)
def _signer(identity: Identity) -> _Signer:
    return _Signer(identity)


# ---------------------------------------------------------------- the PDF's incremental update


class UnsignablePdf(ValueError):
    """A PDF `sign` cannot read: not one fpdf2 writes (a classic cross-reference table, plain dictionaries)."""


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s+(\d+)\s+%%EOF\s*$", re.S)
# The catalogue's declaration that the file uses PAdES (ETSI.CAdES.detached), as pyHanko writes it.
_ESIC = b"\n/Version /1.7\n/Extensions <</ESIC <</Type /DeveloperExtensions /BaseVersion /1.7 /ExtensionLevel 1>>>>"
_XREF = re.compile(rb"xref\s*")
_SECTION = re.compile(rb"(\d+) (\d+)\s*?\n")
_OBJECT = re.compile(rb"(\d+) 0 obj\s*(<<.*?>>)\s*endobj", re.S)


def _reference(dictionary: bytes, key: bytes, form: bytes = rb"\s+(\d+)\s+0\s+R") -> int:
    """The number `form` finds after `/key` in `dictionary`: by default the object an indirect
    reference names."""
    found = re.search(rb"/" + key + form, dictionary)
    if not found:
        raise UnsignablePdf(f"no /{key.decode()} entry")
    return int(found.group(1))


def _object(pdf: bytes, xref: int, number: int) -> bytes:
    """The dictionary of object `number` (its text between `obj` and `endobj`), found through the
    cross-reference table at `xref`."""
    table = _XREF.match(pdf, xref)
    if not table:
        raise UnsignablePdf("no cross-reference table")
    at = table.end()
    while section := _SECTION.match(pdf, at):
        first, count = int(section.group(1)), int(section.group(2))
        if first <= number < first + count:
            entry = section.end() + 20 * (number - first)
            offset = pdf[entry : entry + 10]
            found = _OBJECT.match(pdf, int(offset)) if offset.isdigit() else None
            if not found or int(found.group(1)) != number:
                raise UnsignablePdf(f"object {number} is not where the table says")
            return found.group(2)
        at = section.end() + 20 * count
    raise UnsignablePdf(f"no object {number}")


def _with_entry(dictionary: bytes, entry: bytes) -> bytes:
    """`dictionary` with `entry` added before its closing `>>`."""
    return dictionary[: dictionary.rindex(b">>")] + entry + b"\n>>"


def _text_string(text: str) -> bytes:
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def sign(
    pdf: bytes, identity: Identity, reason: str = "Certificate of attendance", now: dt.datetime | None = None
) -> bytes:
    """`pdf` with a PAdES (ETSI.CAdES.detached) signature over all of it, as an incremental update."""
    signer = _signer(identity)
    trailer = _TRAILER.search(pdf, max(0, len(pdf) - 1024))
    if not trailer:
        raise UnsignablePdf("no trailer")
    dictionary, previous = trailer.group(1), int(trailer.group(2))
    size = _reference(dictionary, b"Size", rb"\s+(\d+)")
    root = _reference(dictionary, b"Root")
    catalog = _object(pdf, previous, root)
    if b"/AcroForm" in catalog:
        raise UnsignablePdf("a form already")
    pages = _object(pdf, previous, _reference(catalog, b"Pages"))
    first_page = _reference(pages, b"Kids", rb"\s*\[\s*(\d+)\s+0\s+R")
    page = _object(pdf, previous, first_page)
    widget, signature = size, size + 1
    if b"/Annots" in page:
        page, found = re.subn(rb"/Annots\s*\[", b"/Annots [" + f"{widget} 0 R ".encode(), page, count=1)
        if not found:
            raise UnsignablePdf("the first page's /Annots is not an array written in place")
    else:
        page = _with_entry(page, f"\n/Annots [{widget} 0 R]".encode())
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")
    room = 2 * signer.room()
    placeholder = b"/ByteRange [" + b" " * 40 + b"]"
    objects = {
        root: _with_entry(
            catalog,
            f"\n/AcroForm <</Fields [{widget} 0 R] /SigFlags 3>>".encode()
            + (b"" if b"/Version" in catalog or b"/Extensions" in catalog else _ESIC),
        ),
        first_page: page,
        widget: (
            f"<<\n/Type /Annot\n/Subtype /Widget\n/FT /Sig\n/T (Signature)\n/F 132\n/Rect [0 0 0 0]\n"
            f"/P {first_page} 0 R\n/V {signature} 0 R\n>>"
        ).encode(),
        signature: b"<<\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n/M "
        + _text_string(when)
        + b"\n/Reason "
        + _text_string(reason)
        + b"\n"
        + placeholder
        + b"\n/Contents <"
        + b"0" * room
        + b">\n>>",
    }
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"  # entry 0 again: some readers expect a table to start there
    for number in sorted(offsets):
        out += f"{number} 1\n{offsets[number]:010d} 00000 n \n".encode()
    kept = b"\n".join(re.findall(rb"/(?:Info|ID)\s*(?:\d+\s+0\s+R|\[[^\]]*\])", dictionary))
    out += f"trailer\n<<\n/Size {signature + 1}\n/Root {root} 0 R\n/Prev {previous}\n".encode() + kept + b"\n>>\n"
    out += f"startxref\n{xref}\n%%EOF\n".encode()

    start = out.index(b"/Contents <", offsets[signature]) + len(b"/Contents ")
    end = start + room + 2  # the hex string with its angle brackets is left out of the hash
    ranges = f"0 {start} {end} {len(out) - end}".encode()
    at = out.index(placeholder, offsets[signature])
    out[at : at + len(placeholder)] = b"/ByteRange [" + ranges.ljust(40) + b"]"
    digest = hashlib.sha256(out[:start])
    digest.update(out[end:])
    contents = signer.signed_data(digest.digest()).hex().upper().encode()
    if len(contents) > room:
        raise UnsignablePdf("the signature does not fit")  # `_Signer.room` is wrong
    out[start + 1 : start + 1 + len(contents)] = contents
    return bytes(out)
