"""/verify takes a statement's tlog-proof as well: pasted or uploaded, it says in the reader's
language that the statement is genuine, where its event is in the log and which witnesses saw that
tree; a tampered proof is refused with the reason, never an error page."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient

from licensing.domain import log_proofs, notes
from licensing.models import LogCosignature
from licensing.services.transaction import write_transaction
from licensing.web import labels
from tests.factories import API, act, issue
from tests.web.conftest import page
from tests.web.test_verify_page import submit

WITNESS = "witness.example/w1"
WITNESS_KEY = Ed25519PrivateKey.generate()
SEEN_AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    vkey = notes.cosigner_vkey(WITNESS, WITNESS_KEY.public_key())
    return make_app(LICENSING_LOG_WITNESSES=f"{WITNESS} {vkey} http://127.0.0.1:9")


def cosign(app: Flask, client: FlaskClient) -> None:
    """The witness cosigns the current checkpoint, as its add-checkpoint answer would."""
    note = client.get("/log/checkpoint").text
    body = note.partition("\n\n")[0] + "\n"
    size = notes.parse_checkpoint(body).size
    line = notes.cosignature_line(body, WITNESS, WITNESS_KEY, int(SEEN_AT.timestamp()))
    with app.app_context(), write_transaction() as write:  # as the witness loop keeps one
        write.insert(
            LogCosignature.__table__,
            {"witness": WITNESS, "size": size, "line": line, "signed_at": SEEN_AT,
             "received_at": SEEN_AT},
        )  # fmt: skip


def proof_of(client: FlaskClient, number: str) -> str:
    response = client.get(f"{API}/status/{number}/statement.tlog-proof")
    assert response.status_code == 200
    return response.text


@pytest.fixture
def suspended(app: Flask, client: FlaskClient, regulator: dict[str, str]) -> str:
    number = issue(client, regulator, holder_name="ТОО «Степной Хеш»")["number"]
    assert act(client, regulator, number, "suspend").status_code == 200
    cosign(app, client)
    return number


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("ru", ["Подлинная и действительная", "место 2 в дереве из 2 событий",
                "заверили своей подписью независимые свидетели"]),
        ("kk", ["Түпнұсқа және өзекті", "2 оқиғадан тұратын ағаштың 2-орнында",
                "тәуелсіз куәгерлер көріп"]),
        ("en", ["Genuine and current", "at position 2 of a tree of 2 events",
                "Independent witnesses saw this tree"]),
    ],
)  # fmt: skip
def test_a_pasted_proof_says_it_is_genuine_in_the_log_and_who_saw_it(
    client: FlaskClient, suspended: str, lang: str, words: list[str]
) -> None:
    pasted = proof_of(client, suspended).replace("\n", "\r\n")  # as a browser sends a textarea
    text = submit(client, lang, statement=pasted).text
    for expected in words:
        assert expected in text, (lang, expected)
    assert f'<span lang="en">{WITNESS}</span>' in text
    assert f'href="/licences/{suspended}">{suspended}</a>' in text


def test_an_uploaded_proof_is_checked(client: FlaskClient, suspended: str) -> None:
    upload = (io.BytesIO(proof_of(client, suspended).encode()), f"{suspended}.tlog-proof")
    text = submit(client, "ru", file=upload).text
    assert "Подлинная и действительная" in text and WITNESS in text


def test_a_proof_no_witness_cosigned_says_so(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    text = submit(client, "en", statement=proof_of(client, number)).text
    assert "at position 1 of a tree of 1 events" in text
    assert "No witness known to the register has cosigned this tree" in text


def _reordered(proof: str) -> str:
    lines = proof.split("\n")
    lines[3], lines[4] = lines[4], lines[3]  # hashes follow the header, extra and index lines
    return "\n".join(lines)


def _forged_extra(proof: str) -> str:
    lines = proof.split("\n")
    token = base64.b64decode(lines[1].removeprefix("extra ")).decode()
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{'A' * len(signature)}"
    lines[1] = "extra " + base64.b64encode(forged.encode()).decode()
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("name", "tamper", "reason"),
    [
        ("truncated", lambda p: p[: len(p) // 2], "не читаемое доказательство"),
        ("forged statement", _forged_extra, "Справка внутри доказательства не подписана"),
        ("wrong index", lambda p: p.replace("index 3\n", "index 2\n", 1), "другому месту"),
        ("reordered", _reordered, "Хеши доказательства не ведут"),
    ],
)
def test_a_tampered_proof_is_refused_with_the_reason(
    app: Flask,
    client: FlaskClient,
    regulator: dict[str, str],
    name: str,
    tamper: Callable[[str], str],
    reason: str,
) -> None:
    number = issue(client, regulator)["number"]
    for action in ("suspend", "resume", "suspend"):  # four events: a path of two hashes
        act(client, regulator, number, action)
    text = submit(client, "ru", statement=tamper(proof_of(client, number))).text
    assert "Доказательство отклонено" in text, name
    assert reason in text, name
    assert "Подлинная и действительная" not in text, name


def test_every_refusal_has_words() -> None:
    assert set(labels.PROOF_REFUSALS) == set(log_proofs.REFUSALS)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("ru", "Скачать справку с доказательством из журнала"),
        ("kk", "Анықтаманы журнал дәлелімен жүктеп алу"),
        ("en", "Download the statement with its log proof"),
    ],
)
def test_the_licence_page_offers_the_statements_proof(
    client: FlaskClient, suspended: str, lang: str, words: str
) -> None:
    text = page(client, f"/licences/{suspended}", **{"Accept-Language": lang}).text
    href = f"{API}/status/{suspended}/statement.tlog-proof"
    assert f'href="{href}" download="{suspended}.tlog-proof">{words}</a>' in text


def test_a_proof_with_a_byte_order_mark_or_trailing_spaces_is_checked_as_a_proof(
    client: FlaskClient, suspended: str
) -> None:
    proof = proof_of(client, suspended)
    spaced = "\n".join(line + "  " for line in proof.split("\n"))
    for sent in ("\ufeff" + proof, spaced):
        text = submit(client, "en", statement=sent).text
        assert "Not genuine" not in text
        assert ("at position 2 of a tree of 2 events" in text) or ("Proof refused" in text)


def test_a_proof_of_a_statement_the_register_has_moved_past_is_superseded(
    client: FlaskClient, regulator: dict[str, str], suspended: str
) -> None:
    proof = proof_of(client, suspended)
    assert act(client, regulator, suspended, "revoke").status_code == 200
    text = submit(client, "en", statement=proof).text
    assert "Genuine, but superseded" in text
    assert "Revocation (revoked)" in text
    assert "position 2 of a tree of 2 events" in text  # the proof itself still holds
