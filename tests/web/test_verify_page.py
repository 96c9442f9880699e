"""/verify: a pasted or uploaded statement gets a plain answer in the reader's language, and bad
input of every kind (not a JWS, another key, alg none, HMAC, truncated, expired) is "not genuine"
or "not current", never an error page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from licensing.domain.statement_rules import payload
from tests.conftest import Clock
from tests.factories import API, act, issue
from tests.web.conftest import page

RU = {"Accept-Language": "ru"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fetch(client: FlaskClient, number: str) -> str:
    response = client.get(f"{API}/status/{number}/statement")
    assert response.status_code == 200
    return response.text


def submit(client: FlaskClient, lang: str = "ru", **form: object) -> TestResponse:
    """Post the verify form as a browser would, with the page's own form token."""
    text = page(client, "/verify", **{"Accept-Language": lang}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/verify",
        data={"csrf_token": token, **form},
        headers={"Accept-Language": lang},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.status_code
    return response


@pytest.fixture
def form_app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    """An app that checks form tokens, as in production (TESTING leaves them on too)."""
    return make_app(WTF_CSRF_ENABLED=True)


def test_a_pasted_statement_is_genuine_and_current_and_says_what_it_states(
    client: FlaskClient, suspended: str
) -> None:
    text = submit(client, statement=fetch(client, suspended)).text
    assert "Подлинная и действительная" in text
    assert f'href="/licences/{suspended}">{suspended}</a>' in text
    assert ">Приостановлена</span>" in text
    assert "10 мая 2026" in text


def test_an_uploaded_statement_is_checked_in_kazakh(client: FlaskClient, suspended: str) -> None:
    upload = (io.BytesIO(fetch(client, suspended).encode() + b"\n"), f"{suspended}.jws")
    text = submit(client, "kk", file=upload).text
    assert "Түпнұсқа және өзекті" in text
    assert "Тоқтатыла тұрған" in text


def test_an_expired_statement_is_genuine_but_not_current(
    client: FlaskClient, suspended: str, clock: Clock
) -> None:
    token = fetch(client, suspended)
    clock.advance(days=2)
    text = submit(client, statement=token).text
    assert "Подлинная, но уже не действительная" in text
    assert "срок её действия истёк" in text


def test_a_statement_the_register_has_moved_past_is_genuine_but_superseded(
    client: FlaskClient, regulator: dict[str, str], suspended: str
) -> None:
    token = fetch(client, suspended)  # still within its validity after the change below
    assert act(client, regulator, suspended, "resume").status_code == 200
    text = submit(client, statement=token).text
    assert "Подлинная, но устаревшая" in text
    assert "Подлинная и действительная" not in text
    assert "Возобновление (возобновлена)" in text
    assert "answer-good" not in text
    fresh = submit(client, statement=fetch(client, suspended)).text
    assert "Подлинная и действительная" in fresh and "устаревшая" not in fresh


def tampered(token: str) -> dict[str, str]:
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    lie = b64(json.dumps(claims | {"standing": "in_force", "in_force": True}).encode())
    other = jwt.encode(claims, Ed25519PrivateKey.generate(), "EdDSA", {"kid": header["kid"]})
    none_head = b64(json.dumps(header | {"alg": "none"}).encode())
    hs_head = b64(json.dumps(header | {"alg": "HS256"}).encode())
    mac = hmac.new(b"secret", f"{hs_head}.{body}".encode(), hashlib.sha256).digest()
    return {
        "not a JWS": "hello, I am a licence",
        "script": '<script>alert("x")</script>',
        "altered claims": f"{head}.{lie}.{signature}",
        "another key": other,
        "alg none": f"{none_head}.{body}.",
        "HS256": f"{hs_head}.{body}.{b64(mac)}",
        "truncated": token[: len(token) // 2],
        "huge": "a." * 20_000,
    }


def test_bad_statements_are_not_genuine_and_never_an_error(
    client: FlaskClient, suspended: str
) -> None:
    for name, token in tampered(fetch(client, suspended)).items():
        text = submit(client, statement=token).text
        assert "Не подлинная" in text, name
        assert "<script>alert" not in text, name
        assert "Подлинная и действительная" not in text, name


def test_an_empty_form_asks_for_a_statement(client: FlaskClient) -> None:
    assert "Вставьте справку или выберите файл" in submit(client, statement="  ").text


def test_the_form_needs_its_token(form_app: Flask) -> None:
    response = form_app.test_client().post(
        "/verify", data={"statement": "x"}, headers={"Accept-Language": "ru"}
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Не удалось прочитать запрос" in response.text


def test_each_reader_gets_the_form_with_a_token_of_their_own_that_works(
    form_app: Flask, suspended: str
) -> None:
    statement = fetch(form_app.test_client(), suspended)
    readers = [form_app.test_client() for _ in range(3)]
    pages = [reader.get("/verify", headers=RU) for reader in readers]  # drawn once, then kept
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', p.text).group(1) for p in pages]  # type: ignore[union-attr]
    assert len(set(tokens)) == 3
    assert len({p.text.replace(token, "") for p, token in zip(pages, tokens, strict=True)}) == 1
    assert all("etag" not in p.headers for p in pages)
    # each token is its reader's own: it works for them, and for nobody else
    for reader, token in zip(readers, tokens, strict=True):
        answer = reader.post(
            "/verify", data={"csrf_token": token, "statement": statement}, headers=RU
        )
        assert answer.status_code == 200 and "Подлинная и действительная" in answer.text
    stranger = readers[0].post("/verify", data={"csrf_token": tokens[1], "statement": statement})
    assert stranger.status_code == 400
    english = readers[0].get("/verify", headers={"Accept-Language": "en"}).text
    assert "Statement or log proof text" in english


def test_the_api_takes_no_form_tokens(form_app: Flask) -> None:
    response = form_app.test_client().post(f"{API}/licences", json={})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_the_licence_page_offers_its_statement(client: FlaskClient, suspended: str) -> None:
    text = page(client, f"/licences/{suspended}", **RU).text
    href = f"{API}/status/{suspended}/statement"
    assert f'href="{href}" download="{suspended}.jws">Скачать справку</a>' in text
    assert fetch(client, suspended).count(".") == 2


def signed_alike(app: Flask, token: str, **changed: object) -> str:
    """A statement signed with the register's own key, its claims those of `token` but for
    `changed`: what a key used outside the register would sign."""
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return str(app.extensions["licensing.signer"].sign(payload(claims | changed)))


def not_in_register(
    client: FlaskClient, regulator: dict[str, str], suspended: str
) -> dict[str, str]:
    """Statements signed with the register's key of what the register does not hold, by what is
    wrong in them."""
    token = fetch(client, suspended)
    other = issue(client, regulator)["number"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    app = client.application
    return {
        "an unknown licence": signed_alike(app, token, sub="DM-2026-009999"),
        "another licence's event": signed_alike(app, token, sub=other),
        "an event the register does not have": signed_alike(app, token, seq=claims["seq"] + 50),
        "another hash": signed_alike(app, token, hash="0" * 64),
    }


def test_a_statement_signed_with_the_registers_key_of_what_it_does_not_hold_is_not_in_the_register(
    client: FlaskClient, regulator: dict[str, str], suspended: str
) -> None:
    for case, token in not_in_register(client, regulator, suspended).items():
        text = submit(client, statement=token).text
        assert "Нет в реестре" in text, case
        assert "Подлинная" not in text and "answer-bad" in text, case
        kk = submit(client, "kk", statement=token).text
        assert "Тізілімде жоқ" in kk and "Түпнұсқа" not in kk, case
        en = submit(client, "en", statement=token).text
        assert "Not in the register" in en and "Genuine" not in en, case


def test_statements_verify_says_a_statement_is_not_in_the_register(
    client: FlaskClient, regulator: dict[str, str], suspended: str
) -> None:
    runner = client.application.test_cli_runner()
    for case, token in not_in_register(client, regulator, suspended).items():
        result = runner.invoke(args=["statements", "verify", token])
        assert result.exit_code == 1, case
        assert "REFUSED: not in the register" in result.stderr, (case, result.stderr)
    genuine = runner.invoke(args=["statements", "verify", fetch(client, suspended)])
    assert genuine.exit_code == 0 and genuine.stdout.splitlines()[-1].startswith("ok: genuine")
