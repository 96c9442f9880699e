"""The registry's document-signing certificate and key: PAdES signatures of PDF extracts (baseline
B-B, or B-T with a timestamp authority), and a self-issued pair for trials."""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SIGNATURE_FIELD = "Registry"
# room kept in the file for the CMS signature: one certificate chain and, for B-T, a timestamp
# token with the authority's own chain; a guess too small fails loudly, never half signs
RESERVED_BYTES = 16_384
SELF_ISSUED_DAYS = 365
SIGNING_ONLY = x509.KeyUsage(
    digital_signature=True, content_commitment=True, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


class DocumentSigningUnavailable(Exception):
    """No document-signing certificate and key can be used: extracts cannot be signed."""


@dataclass(frozen=True)
class Certificate:
    subject: str
    fingerprint: str  # SHA-256 of the certificate, hex
    not_after: datetime
    self_issued: bool


class DocumentSigner:
    """Signs PDFs with the pair at `cert_file` and `key_file`, read on first use (and again when
    a file changes, so a renewed certificate needs no restart)."""

    def __init__(self, cert_file: str, key_file: str, tsa_url: str | None = None) -> None:
        self.cert_file, self.key_file, self.tsa_url = cert_file, key_file, tsa_url
        self._lock = threading.Lock()
        self._loaded: tuple[tuple[float, float], object, Certificate] | None = None

    def certificate(self) -> Certificate:
        """The certificate in use; DocumentSigningUnavailable when the pair cannot be read."""
        return self._signer()[1]

    def problem(self) -> str | None:
        """Why extracts cannot be signed, in a sentence for an operator; None when they can."""
        try:
            self._signer()
        except DocumentSigningUnavailable as error:
            return str(error)
        return None

    def sign(self, pdf: bytes, reason: str, location: str) -> bytes:
        """`pdf` with a PAdES signature over all of it, as an incremental update."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers, timestamps
        from pyhanko.sign.fields import SigSeedSubFilter

        signer, _ = self._signer()
        metadata = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
        )
        stamper = timestamps.HTTPTimeStamper(self.tsa_url) if self.tsa_url else None
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _keep_metadata(writer)
        pdf_signer = signers.PdfSigner(metadata, signer=signer, timestamper=stamper)  # type: ignore[arg-type]
        return pdf_signer.sign_pdf(writer, bytes_reserved=RESERVED_BYTES).getvalue()  # type: ignore[union-attr]

    def _signer(self) -> tuple[object, Certificate]:
        from pyhanko.sign import signers

        try:
            stamp = (os.stat(self.cert_file).st_mtime, os.stat(self.key_file).st_mtime)
        except OSError as error:
            raise DocumentSigningUnavailable(
                f"the document-signing certificate or key cannot be read ({error.strerror}: "
                f"{error.filename}); make one with `flask --app licensing keys "
                "document-certificate --self-issued` for trials, or install the certificate and "
                "key a trusted authority issued"
            ) from None
        with self._lock:
            if self._loaded is not None and self._loaded[0] == stamp:
                return self._loaded[1], self._loaded[2]
            try:
                pem = Path(self.cert_file).read_bytes()
                chain = x509.load_pem_x509_certificates(pem)
                signer = signers.SimpleSigner.load(self.key_file, self.cert_file)
            except (OSError, ValueError) as error:
                raise DocumentSigningUnavailable(
                    f"the document-signing certificate {self.cert_file} or key {self.key_file} "
                    f"is not a usable PEM pair ({error})"
                ) from None
            if signer is None:
                raise DocumentSigningUnavailable(
                    f"the key {self.key_file} does not load with the certificate {self.cert_file}"
                )
            leaf = chain[0]
            if leaf.public_key() != _private_key(self.key_file).public_key():
                raise DocumentSigningUnavailable(
                    f"the key {self.key_file} is not the certificate's ({self.cert_file})"
                )
            described = Certificate(
                subject=leaf.subject.rfc4514_string(),
                fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),
                not_after=leaf.not_valid_after_utc,
                self_issued=leaf.issuer == leaf.subject,
            )
            self._loaded = (stamp, signer, described)
            return signer, described


def _keep_metadata(writer) -> None:  # type: ignore[no-untyped-def]
    """Have pyHanko update the document's XMP metadata rather than write its own in its place:
    its own would drop the PDF/A identification (pdfaid), and the file would no longer say it
    is PDF/A-3b."""
    from pyhanko.pdf_utils.metadata import xmp_xml

    if "/Metadata" not in writer.root:
        return
    present = writer.root["/Metadata"].get_object()
    kept = xmp_xml.MetadataStream.from_xmp(xmp_xml.parse_xmp(io.BytesIO(present.data)))
    writer.root["/Metadata"] = writer.add_object(kept)
    writer.update_root()


def _private_key(path: str):  # type: ignore[no-untyped-def]
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def make_self_issued(cert_file: str, key_file: str, name: str) -> Certificate:
    """Write a new self-issued certificate for `name` and its ECDSA P-256 key (owner-only), for
    trials: a PDF reader shows its signature intact but its signer unknown."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} (self-issued, for trials)"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SELF_ISSUED_DAYS))
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_owner_only(
        key_file,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    Path(cert_file).parent.mkdir(parents=True, exist_ok=True)
    Path(cert_file).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return Certificate(
        subject=subject.rfc4514_string(),
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        not_after=certificate.not_valid_after_utc,
        self_issued=True,
    )


def _write_owner_only(path: str, content: bytes) -> None:
    """Write `content` to `path` readable by its owner alone, replacing the file whole."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)
