"""Signed status statements: what they say of a licence, how long they hold, how they cache, and
that every token that is not a genuine, current statement is refused in plain words."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from licensing.domain.statement_rules import CLAIMS, StatementCheck, check
from tests.conftest import Clock
from tests.factories import API, UNTIL, act, issue

JWKS = "/.well-known/jwks.json"


def statement(client: FlaskClient, number: str, **headers: str) -> tuple[str, dict[str, Any]]:
    """The statement's token and its claims, checked against the registry's JWKS."""
    response = client.get(f"{API}/status/{number}/statement", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/jose"
    token = response.get_data(as_text=True)
    found = check(token, client.get(JWKS).get_json(), datetime.now(UTC).replace(year=2026))
    assert found.genuine, found.problem
    assert found.claims is not None
    return token, found.claims


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_an_issued_licence_gets_a_signed_statement_of_its_standing_and_last_event(
    client: FlaskClient, regulator: dict[str, str], auditor: dict[str, str]
) -> None:
    licence = issue(client, regulator)
    token, claims = statement(client, licence["number"])
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] in [key["kid"] for key in client.get(JWKS).get_json()["keys"]]
    last = client.get(f"{API}/licences/{licence['number']}/history", headers=auditor)
    event = last.get_json()["items"][-1]
    assert list(claims) == list(CLAIMS)
    assert claims | {"iat": 0, "exp": 0} == {
        "iss": "urn:licensing:registry",
        "sub": licence["number"],
        "status": "issued",
        "standing": "in_force",
        "in_force": True,
        "status_since": licence["status_since"],
        "suspended_until": None,
        "expires_on": licence["expires_on"],
        "seq": event["seq"],
        "hash": event["hash"],
        "iat": 0,
        "exp": 0,
    }
    assert claims["iat"] == int(at("2026-03-10T09:30:00Z").timestamp())
    assert claims["exp"] - claims["iat"] == 24 * 3600


@pytest.mark.parametrize(
    ("action", "status", "standing", "until"),
    [("suspend", "suspended", "suspended", UNTIL), ("revoke", "revoked", "revoked", None)],
)
def test_a_statement_says_a_licence_is_suspended_or_revoked(
    client: FlaskClient,
    regulator: dict[str, str],
    clock: Clock,
    action: str,
    status: str,
    standing: str,
    until: str | None,
) -> None:
    number = issue(client, regulator)["number"]
    clock.advance(minutes=5)
    assert act(client, regulator, number, action).status_code == 200
    _, claims = statement(client, number)
    assert (claims["status"], claims["standing"], claims["in_force"]) == (status, standing, False)
    assert claims["suspended_until"] == until
    assert claims["iat"] == int(at("2026-03-10T09:35:00Z").timestamp())  # not before the change


def test_an_expired_licence_still_gets_a_statement_saying_so_for_the_full_validity(
    client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    number = issue(client, regulator, issued_on="2023-04-01")["number"]
    clock.advance(days=30)  # 2026-04-09: the term ended on 2026-04-01
    _, claims = statement(client, number)
    assert (claims["standing"], claims["in_force"], claims["expires_on"]) == (
        "expired", False, "2026-04-01",
    )  # fmt: skip
    assert claims["exp"] - claims["iat"] == 24 * 3600


def test_a_statement_never_holds_past_the_end_of_the_expiry_day(
    client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    number = issue(client, regulator, issued_on="2023-04-01")["number"]
    clock.moment = at("2026-04-01T12:00:00Z")  # 17:00 in Astana on the last day of the term
    _, claims = statement(client, number)
    assert claims["standing"] == "in_force"
    assert claims["exp"] == int(at("2026-04-01T19:00:00Z").timestamp())  # midnight in Astana


def test_the_validity_and_the_issuer_are_settings(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        LICENSING_STATEMENT_VALIDITY_HOURS="2", LICENSING_STATEMENT_ISSUER="https://reg.example.kz"
    )
    client = app.test_client()
    from tests.factories import bearer

    number = issue(client, bearer(app, "regulator"))["number"]
    _, claims = statement(client, number)
    assert claims["iss"] == "https://reg.example.kz"
    assert claims["exp"] - claims["iat"] == 2 * 3600


def test_a_statement_caches_until_shortly_before_it_expires_and_changes_with_the_status(
    client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    number = issue(client, regulator)["number"]
    first = client.get(f"{API}/status/{number}/statement")
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=82800"  # 23 of its 24 hours
    clock.advance(minutes=20)
    again = client.get(f"{API}/status/{number}/statement")
    assert again.data == first.data and again.headers["ETag"] == tag
    cached = client.get(f"{API}/status/{number}/statement", headers={"If-None-Match": tag})
    assert cached.status_code == 304 and cached.data == b"" and cached.headers["ETag"] == tag
    assert act(client, regulator, number, "suspend").status_code == 200
    fresh = client.get(f"{API}/status/{number}/statement", headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag
    assert jwt.decode(fresh.data, options={"verify_signature": False})["status"] == "suspended"


def test_the_public_view_has_an_etag_that_changes_with_the_licence(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    first = client.get(f"{API}/status/{number}")
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    cached = client.get(f"{API}/status/{number}", headers={"If-None-Match": tag})
    assert cached.status_code == 304 and cached.data == b""
    assert act(client, regulator, number, "suspend").status_code == 200
    fresh = client.get(f"{API}/status/{number}", headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.get_json()["standing"] == "suspended"


@pytest.mark.parametrize(
    "number", ["DM-2026-999999", "garbage", "DM-2026-0000011", "dm-2026-000001"]
)
@pytest.mark.parametrize("suffix", ["", "/statement"])
def test_unknown_or_malformed_numbers_are_a_404_problem(
    client: FlaskClient, number: str, suffix: str
) -> None:
    response = client.get(f"{API}/status/{number}{suffix}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


# --- refusals -------------------------------------------------------------------------------


@pytest.fixture
def genuine(client: FlaskClient, regulator: dict[str, str]) -> tuple[str, dict[str, Any]]:
    token, _ = statement(client, issue(client, regulator)["number"])
    return token, client.get(JWKS).get_json()


NOW = at("2026-03-10T10:00:00Z")


def refused(found: StatementCheck) -> str:
    assert not found.holds and found.problem
    assert found.verdict.startswith(("not genuine", "genuine but not current"))
    return found.problem


def resigned(token: str, alg: str, signature: bytes, **header: Any) -> str:
    head, body, _ = token.split(".")
    old = json.loads(base64.urlsafe_b64decode(head + "=="))
    new_head = b64(json.dumps(old | {"alg": alg} | header).encode())
    return f"{new_head}.{body}.{b64(signature)}"


def test_a_genuine_statement_holds_until_it_expires_and_not_before_it_was_issued(
    genuine: tuple[str, dict[str, Any]],
) -> None:
    token, jwks = genuine
    assert check(token, jwks, NOW).holds
    late = check(token, jwks, NOW + timedelta(days=1))
    assert late.genuine and "expired" in refused(late)
    early = check(token, jwks, NOW - timedelta(hours=1))
    assert early.genuine and "not yet valid" in refused(early)


def test_a_forged_or_altered_statement_is_not_genuine(genuine: tuple[str, dict[str, Any]]) -> None:
    token, jwks = genuine
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "==")) | {"standing": "in_force"}
    altered = f"{head}.{b64(json.dumps(claims).encode() + b' ')}.{signature}"
    kid = jwt.get_unverified_header(token)["kid"]
    forger = Ed25519PrivateKey.generate()
    forged = jwt.api_jws.encode(
        base64.urlsafe_b64decode(body + "=="), forger, algorithm="EdDSA", headers={"kid": kid}
    )
    for bad in (altered, forged):
        found = check(bad, jwks, NOW)
        assert not found.genuine and found.claims is None
        assert "signature does not match" in refused(found)


def test_a_statement_from_another_key_is_not_genuine(genuine: tuple[str, dict[str, Any]]) -> None:
    token, jwks = genuine
    body = base64.urlsafe_b64decode(token.split(".")[1] + "==")
    other = jwt.api_jws.encode(
        body, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "someone-else"}
    )
    assert "unknown key 'someone-else'" in refused(check(other, jwks, NOW))


def test_unsigned_and_hmac_statements_are_refused(genuine: tuple[str, dict[str, Any]]) -> None:
    token, jwks = genuine
    unsigned = resigned(token, "none", b"")
    public_key = jwks["keys"][0]["x"].encode()
    head, body, _ = resigned(token, "HS256", b"").split(".")
    mac = hmac.new(public_key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert "signed with 'none'" in refused(check(unsigned, jwks, NOW))
    assert "signed with 'HS256'" in refused(check(f"{head}.{body}.{b64(mac)}", jwks, NOW))


@pytest.mark.parametrize(
    "cut",
    [
        lambda t: t[:-10],
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t[: len(t) // 2],
        lambda t: "",
        lambda t: "not a statement",
        lambda t: "a.b.c",
        lambda t: t + "." + t,
        lambda t: "e" * 10000,
        lambda t: t.replace(".", ". ", 1),
    ],
)
def test_truncated_or_malformed_tokens_are_refused(
    genuine: tuple[str, dict[str, Any]], cut: Callable[[str], str]
) -> None:
    token, jwks = genuine
    found = check(cut(token), jwks, NOW)
    assert not found.genuine
    refused(found)


def test_a_checkpoint_is_not_a_statement(
    client: FlaskClient, genuine: tuple[str, dict[str, Any]]
) -> None:
    _, jwks = genuine
    checkpoint = client.get(f"{API}/audit/checkpoint").get_data(as_text=True)
    assert "not a status statement" in refused(check(checkpoint, jwks, NOW))


# --- the command ----------------------------------------------------------------------------


def test_the_command_prints_the_claims_and_verdict_and_exits_by_it(
    client: FlaskClient, regulator: dict[str, str], runner: FlaskCliRunner, tmp_path: Path
) -> None:
    number = issue(client, regulator)["number"]
    token, _ = statement(client, number)
    (tmp_path / "statement.jws").write_text(token + "\n")
    (tmp_path / "jwks.json").write_bytes(client.get(JWKS).data)
    (tmp_path / "other.json").write_text(json.dumps({"keys": []}))
    ok = runner.invoke(args=["statements", "verify", token, "--at", "2026-03-10T10:00:00Z"])
    assert ok.exit_code == 0, ok.output
    assert f'sub             "{number}"' in ok.output
    assert "ok: genuine and current" in ok.output
    offline = runner.invoke(
        args=["statements", "verify", str(tmp_path / "statement.jws"), "--jwks",
              str(tmp_path / "jwks.json"), "--at", "2026-03-10T10:00:00Z"],
    )  # fmt: skip
    assert offline.exit_code == 0, offline.output
    for args, words in [
        (["--at", "2026-03-12"], "expired"),
        (["--at", "2026-03-09"], "not yet valid"),
        (["--jwks", str(tmp_path / "other.json")], "not genuine"),
    ]:
        result = runner.invoke(args=["statements", "verify", token, *args])
        assert result.exit_code == 1 and words in result.output, result.output
    for bad in (token[:-5], resigned(token, "none", b"")):
        result = runner.invoke(args=["statements", "verify", bad])
        assert result.exit_code == 1 and "REFUSED: not genuine" in result.output
    missing = runner.invoke(args=["statements", "verify", str(tmp_path / "nowhere.jws")])
    assert missing.exit_code == 2


def test_the_command_with_the_database_at_hand_calls_a_statement_the_licence_moved_past_superseded(
    client: FlaskClient, regulator: dict[str, str], runner: FlaskCliRunner, clock: Clock
) -> None:
    number = issue(client, regulator)["number"]
    token, _ = statement(client, number)
    clock.advance(minutes=10)
    assert act(client, regulator, number, "suspend").status_code == 200
    result = runner.invoke(args=["statements", "verify", token])
    assert result.exit_code == 1, result.output
    assert "REFUSED: genuine but superseded" in result.output
    assert f"a change to licence {number}" in result.output
    assert "changed since   " in result.output and "suspend (issued -> suspended)" in result.output
    # as at a moment before the change was recorded, the statement held
    before = runner.invoke(args=["statements", "verify", token, "--at", "2026-03-10T09:35:00Z"])
    assert before.exit_code == 0 and "ok: genuine and current" in before.output, before.output
