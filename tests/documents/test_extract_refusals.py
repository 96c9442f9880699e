"""What an extract route answers when it cannot give one: no certificate (503, never an unsigned
file), no such licence, a language not offered, extracts switched off; and the certificate
command."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import API, bearer, issue
from tests.web.conftest import page


@pytest.fixture
def unsigned(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """An app whose document certificate and key are not there."""
    return make_app(
        LICENSING_DOCUMENT_CERT_FILE=str(tmp_path / "missing-cert.pem"),
        LICENSING_DOCUMENT_KEY_FILE=str(tmp_path / "missing-key.pem"),
    )


def _licence(app: Flask) -> str:
    return issue(app.test_client(), bearer(app, "regulator"))["number"]  # type: ignore[no-any-return]


def test_without_a_certificate_the_api_answers_503_and_no_file(unsigned: Flask) -> None:
    number = _licence(unsigned)
    answer = unsigned.test_client().get(f"{API}/status/{number}/extract.pdf")
    assert answer.status_code == 503
    assert answer.mimetype == "application/problem+json"
    assert answer.headers["Retry-After"]
    assert "cannot sign" in answer.get_json()["detail"]


def test_without_a_certificate_the_page_answers_503_in_the_readers_language(
    unsigned: Flask,
) -> None:
    number = _licence(unsigned)
    html = page(
        unsigned.test_client(), f"/licences/{number}/extract.pdf", 503, **{"Accept-Language": "ru"}
    ).get_data(as_text=True)
    assert "Выписки сейчас не выдаются" in html


def test_a_certificate_that_is_not_one_is_refused_the_same_way(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate")
    (tmp_path / "key.pem").write_text("not a key")
    app = make_app(
        LICENSING_DOCUMENT_CERT_FILE=str(tmp_path / "cert.pem"),
        LICENSING_DOCUMENT_KEY_FILE=str(tmp_path / "key.pem"),
    )
    number = _licence(app)
    assert app.test_client().get(f"{API}/status/{number}/extract.pdf").status_code == 503


def test_start_up_says_when_extracts_are_on_but_cannot_be_signed(
    make_app: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        make_app(LICENSING_DOCUMENT_CERT_FILE=str(tmp_path / "none.pem"))
    assert any("PDF extracts are on but cannot be signed" in r.message for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        make_app(LICENSING_DOCUMENT_CERT_FILE=str(tmp_path / "none.pem"), LICENSING_EXTRACTS="off")
    assert not any("extracts" in r.message for r in caplog.records)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/licences/DM-2026-999999/extract.pdf", 404),
        ("/licences/not-a-number/extract.pdf", 404),
        ("/licences/DM-2026-000001/extract.pdf?lang=de", 404),
        ("/licences/DM-2026-000001/extract.docx", 404),
    ],
)
def test_bad_addresses_of_an_extract_are_pages_in_the_readers_language(
    client: FlaskClient, regulator: dict[str, str], path: str, status: int
) -> None:
    issue(client, regulator)
    html = page(client, path, status, **{"Accept-Language": "kk"}).get_data(as_text=True)
    assert '<html lang="kk">' in html


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{API}/status/DM-2026-999999/extract.pdf", 404),
        (f"{API}/status/DM-2026-000001/extract.pdf?lang=de", 422),
    ],
)
def test_bad_requests_for_an_extract_are_problems(
    client: FlaskClient, regulator: dict[str, str], path: str, status: int
) -> None:
    issue(client, regulator)
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.mimetype == "application/problem+json"


def test_switched_off_there_are_no_extracts_and_no_link(make_app: Callable[..., Flask]) -> None:
    app = make_app(LICENSING_EXTRACTS="off")
    number = _licence(app)
    client = app.test_client()
    assert client.get(f"{API}/status/{number}/extract.pdf").status_code == 404
    assert client.get(f"/licences/{number}/extract.pdf").status_code == 404
    assert "extract.pdf" not in page(client, f"/licences/{number}").get_data(as_text=True)


def test_the_command_makes_a_self_issued_pair_and_says_production_needs_another(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    cert, key = tmp_path / "doc" / "cert.pem", tmp_path / "doc" / "key.pem"
    app = make_app(LICENSING_DOCUMENT_CERT_FILE=str(cert), LICENSING_DOCUMENT_KEY_FILE=str(key))
    runner = app.test_cli_runner()
    made = runner.invoke(args=["keys", "document-certificate", "--self-issued"])
    assert made.exit_code == 0, made.output
    assert "trusted authority" in made.output
    assert cert.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert key.stat().st_mode & 0o077 == 0
    again = runner.invoke(args=["keys", "document-certificate", "--self-issued"])
    assert again.exit_code != 0
    assert "--force" in again.output
    assert runner.invoke(args=["keys", "document-certificate"]).exit_code == 2
    number = _licence(app)
    answer = app.test_client().get(f"{API}/status/{number}/extract.pdf")
    assert answer.status_code == 200
    assert answer.data.startswith(b"%PDF-")


def test_the_demo_makes_a_trial_certificate_when_there_is_none(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    cert = tmp_path / "cert.pem"
    app = make_app(
        LICENSING_DOCUMENT_CERT_FILE=str(cert),
        LICENSING_DOCUMENT_KEY_FILE=str(tmp_path / "key.pem"),
    )
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert cert.exists()
    assert "production needs one from a trusted authority" in result.output
