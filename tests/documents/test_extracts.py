"""The signed PDF extract, rendered once for this module in each language: its signature holds
for pyHanko's validator and for poppler's pdfsig and breaks when one byte changes; its text reads
back in kk, ru and en; its font is embedded; the statement and its log proof are attached."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing import clock as registry_clock
from licensing import create_app
from licensing.services import document_signing
from tests.conftest import Databases
from tests.factories import API, act, bearer, issue

HOLDER = "ЖШС «Әлемдік Қуат Ғылым Өңдеу Ұйымы Үміт Һәм Іргелі»"  # ә ғ қ ң ө ұ ү һ і
LANGUAGES = ("kk", "ru", "en")


@dataclass
class Rendered:
    app: Flask
    client: FlaskClient
    number: str
    pdfs: dict[str, bytes]  # by language, from the licence page
    api_pdf: bytes
    statement: str
    folder: Path


@pytest.fixture(scope="module")
def rendered(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    folder = tmp_path_factory.mktemp("extracts")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry_clock, "now", lambda: datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
        document_signing.make_self_issued(
            str(folder / "cert.pem"), str(folder / "key.pem"), "Test Registry"
        )
        app = create_app(
            {
                "TESTING": True,
                "LICENSING_DATABASE_URL": databases.fresh(folder),
                "LICENSING_SIGNING_KEY_FILE": str(folder / "signing-key.pem"),
                "LICENSING_DOCUMENT_CERT_FILE": str(folder / "cert.pem"),
                "LICENSING_DOCUMENT_KEY_FILE": str(folder / "key.pem"),
                "LICENSING_RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        client = app.test_client()
        regulator = bearer(app, "regulator")
        number = issue(client, regulator, holder_name=HOLDER)["number"]
        assert act(client, regulator, number, "suspend").status_code == 200
        pdfs = {}
        for language in LANGUAGES:
            answer = client.get(f"/licences/{number}/extract.pdf?lang={language}")
            assert answer.status_code == 200
            assert answer.mimetype == "application/pdf"
            pdfs[language] = answer.data
        api = client.get(f"{API}/status/{number}/extract.pdf", headers={"Accept-Language": "ru"})
        assert api.status_code == 200
        statement = client.get(f"{API}/status/{number}/statement").get_data(as_text=True)
        yield Rendered(app, client, number, pdfs, api.data, statement, folder)


def _run(*command: str, data: bytes | None = None, folder: Path | None = None) -> str:
    """The output of `command` run on a file holding `data` (its path in place of "{}", or last)."""
    if data is not None:
        assert folder is not None
        target = folder / "checked.pdf"
        target.write_bytes(data)
        if "{}" in command:
            command = tuple(str(target) if part == "{}" else part for part in command)
        else:
            command = (*command, str(target))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return result.stdout + result.stderr


def test_pdfsig_finds_the_whole_document_signed_and_the_signature_valid(
    rendered: Rendered,
) -> None:
    report = _run("pdfsig", data=rendered.pdfs["kk"], folder=rendered.folder)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report  # PAdES
    # a self-issued certificate: intact, but its issuer is no authority pdfsig knows
    assert "Certificate Validation: Certificate issuer is unknown." in report


def test_pyhanko_validates_the_signature_against_the_registrys_certificate(
    rendered: Rendered,
) -> None:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    trusted = ValidationContext(trust_roots=[load_cert_from_pemder(rendered.folder / "cert.pem")])
    reader = PdfFileReader(io.BytesIO(rendered.api_pdf))
    (signature,) = reader.embedded_signatures
    status = validate_pdf_signature(signature, trusted)
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.md_algorithm == "sha256"


def test_one_byte_changed_fails_verification(rendered: Rendered) -> None:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    original = rendered.pdfs["en"]
    changed = bytearray(original)
    at = original.index(b"stream") + 40  # inside the first page's compressed content
    changed[at] ^= 0x01
    report = _run("pdfsig", data=bytes(changed), folder=rendered.folder)
    assert "Signature is Valid." not in report
    (signature,) = PdfFileReader(io.BytesIO(bytes(changed))).embedded_signatures
    trusted = ValidationContext(trust_roots=[load_cert_from_pemder(rendered.folder / "cert.pem")])
    assert not validate_pdf_signature(signature, trusted).intact


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "kk",
            ["Тізілімнен үзінді көшірме", "Тоқтатыла тұрған", "Шешімдер тарихы", "Павлодар облысы"],
        ),
        ("ru", ["Выписка из реестра", "Приостановлена", "История решений", "Павлодарская область"]),
        (
            "en",
            ["Extract from the register", "Suspended", "History of decisions", "Pavlodar Region"],
        ),
    ],
)
def test_the_text_reads_back_in_each_language(
    rendered: Rendered, language: str, words: list[str]
) -> None:
    text = _run(
        "pdftotext",
        "-enc",
        "UTF-8",
        "{}",
        "-",
        data=rendered.pdfs[language],
        folder=rendered.folder,
    )
    # lines wrap anywhere in a narrow table cell: compare without the white space
    compact = "".join(text.split())
    for expected in [*words, rendered.number, "17-ЛЦ/2026", HOLDER]:  # HOLDER: every Kazakh letter
        assert "".join(expected.split()) in compact, (language, expected)


def test_every_font_is_embedded(rendered: Rendered) -> None:
    fonts = _run("pdffonts", data=rendered.pdfs["kk"], folder=rendered.folder).splitlines()[2:]
    assert fonts
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column


def test_the_file_is_pdf_a_3b_with_the_statement_and_its_proof_attached(
    rendered: Rendered, tmp_path: Path
) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    pdf = rendered.pdfs["kk"]
    catalogue = PdfFileReader(io.BytesIO(pdf)).root
    metadata = catalogue["/Metadata"].data  # as the signing left it, which must keep pdfaid
    assert re.search(rb'pdfaid:part(="|>)3', metadata), metadata
    assert re.search(rb'pdfaid:conformance(="|>)B', metadata), metadata
    relationships = [str(spec.get_object()["/AFRelationship"]) for spec in catalogue["/AF"]]
    assert relationships and set(relationships) == {
        "/Data"
    }  # associated files, as PDF/A-3 has them
    source = tmp_path / "extract.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdfdetach", "-saveall", "-o", str(tmp_path), str(source)], check=True)
    attached = (tmp_path / f"{rendered.number}.jws").read_text()
    assert attached == rendered.statement
    proof = (tmp_path / f"{rendered.number}.tlog-proof").read_text()
    assert proof.startswith("c2sp.org/tlog-proof@v1\n")


def test_the_same_extract_is_made_once_and_answers_304(rendered: Rendered) -> None:
    client, number = rendered.client, rendered.number
    again = client.get(f"/licences/{number}/extract.pdf?lang=kk")
    assert again.data == rendered.pdfs["kk"]  # the kept file, not a second signing
    tag = again.headers["ETag"]
    assert tag.startswith('W/"')
    answer = client.get(f"/licences/{number}/extract.pdf?lang=kk", headers={"If-None-Match": tag})
    assert answer.status_code == 304
    other = client.get(f"/licences/{number}/extract.pdf?lang=ru", headers={"If-None-Match": tag})
    assert other.status_code == 200


def test_the_qr_code_opens_verify_with_this_extracts_statement(rendered: Rendered) -> None:
    from licensing.web.documents import verify_address

    with rendered.app.test_request_context():
        address = verify_address(rendered.statement)
    assert address.startswith("http://localhost:5000/verify?statement=ey")
    html = rendered.client.get(
        address.removeprefix("http://localhost:5000"), headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert rendered.number in html
    assert "answer-good" in html
