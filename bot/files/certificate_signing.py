"""PAdES signatures on certificates (pyHanko), and the key that makes them.

The signing identity is either the organiser's own PKCS#12 file (`CERTIFICATE_PKCS12`,
read with `CERTIFICATE_PKCS12_PASSWORD`), or a key and self-signed X.509 certificate made
on first use (`new_identity`) and kept in the event's database, so a backup of the event
carries it and every certificate of the event is signed by the same key. A PDF reader
shows a self-signed signature as "signed, identity not trusted", and still shows any
change after signing; the verification page is what proves a certificate is the event's.

The private key is held as PEM bytes in `Identity`, whose `repr` leaves it out, and is
never logged. Pure bytes in, bytes out: no database.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

# pyHanko imports cryptography's DSA on load, which warns on stderr: the start-up's one line would be three.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko_certvalidator.registry import SimpleCertificateStore

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
    """The identity in a PKCS#12 (.p12/.pfx) file's bytes; `IdentityProblem` when it has none."""
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(data, password.encode() if password else None)
    except ValueError:
        raise IdentityProblem("cannot be opened: wrong password, or not a PKCS#12 file") from None
    if key is None or certificate is None:
        raise IdentityProblem("holds no private key and certificate")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = tuple(c.public_bytes(serialization.Encoding.DER) for c in extra or ())
    return Identity(key_pem, certificate.public_bytes(serialization.Encoding.PEM), chain)


def certificate_der(identity: Identity) -> bytes:
    return x509.load_pem_x509_certificate(identity.cert_pem).public_bytes(serialization.Encoding.DER)


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, holding the loaded key: SimpleSigner parses (and, for RSA,
    checks) the private key again at every signature, ~40 ms, twice a document (once more for
    the size estimate). Here the key is loaded once per process and identity, and the size
    estimate's dry run signs nothing: it only needs a signature's length."""

    def __init__(self, key, **kwargs) -> None:
        super().__init__(**kwargs)
        self._key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if dry_run and isinstance(self._key, rsa.RSAPrivateKey):
            return bytes(self._key.key_size // 8)
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)  # other key kinds: pyHanko's own way


@lru_cache(maxsize=4)
def _signer(identity: Identity) -> signers.SimpleSigner:
    key = serialization.load_pem_private_key(identity.key_pem, password=None)
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert = asn1_x509.Certificate.load(certificate_der(identity))
    others = [asn1_x509.Certificate.load(der) for der in identity.chain_der]
    return _KeptKeySigner(
        key,
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([cert, *others]),
    )


def sign(pdf: bytes, identity: Identity, reason: str = "Certificate of attendance") -> bytes:
    """`pdf` with a PAdES (ETSI.CAdES.detached) signature over all of it, as an incremental update."""
    meta = signers.PdfSignatureMetadata(
        field_name="Signature",
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    signer = _signer(identity)
    out = signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=_room(signer))
    return out.getvalue()


@lru_cache(maxsize=4)
def _room(signer: _KeptKeySigner) -> int:
    """Hex digits to leave for the signature: its certificates, the signature value and the signed
    attributes, with a 2 KB margin. pyHanko would otherwise estimate it at each document by
    building a whole trial signature (half the signing time); the unused room is zero digits."""
    certificates = sum(len(c.dump()) for c in signer.cert_registry)
    key_bytes = getattr(signer._key, "key_size", 4096) // 8
    return 2 * (certificates + 2 * key_bytes + 2048)
