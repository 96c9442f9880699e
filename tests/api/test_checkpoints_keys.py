from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from licensing.domain.checkpoints import CheckpointRefused, read
from licensing.domain.trail import check_trail
from tests.factories import API, issue


def test_anyone_gets_a_checkpoint_of_the_head_that_the_jwks_verifies(
    client: FlaskClient, regulator: dict[str, str], token: Callable[..., dict[str, str]]
) -> None:
    issue(client, regulator)
    issue(client, regulator)
    response = client.get(f"{API}/audit/checkpoint")
    assert response.status_code == 200
    assert response.mimetype == "application/jose"
    jwks = client.get("/.well-known/jwks.json").get_json()
    kept = read(response.get_data(as_text=True), jwks)
    export = client.get(
        f"{API}/audit/events", headers=token("auditor"), query_string={"format": "ndjson"}
    )
    last = json.loads(export.data.splitlines()[-1])
    assert (kept.seq, kept.hash) == (2, last["hash"])
    assert kept.at == "2026-03-10T09:30:00.000000Z"
    assert check_trail(export.data.splitlines(keepends=True), [kept]).finding is None


def test_an_empty_trail_has_a_genesis_checkpoint(client: FlaskClient) -> None:
    jwks = client.get("/.well-known/jwks.json")
    kept = read(
        client.get(f"{API}/audit/checkpoint").get_data(as_text=True),
        client.get("/.well-known/jwks.json").get_json(),
    )
    assert (kept.seq, kept.hash) == (0, "0" * 64)
    assert jwks.status_code == 200


def test_the_key_is_made_on_first_use_with_owner_only_permissions(
    app: Flask, client: FlaskClient
) -> None:
    path = Path(app.config["LICENSING_SIGNING_KEY_FILE"])
    assert not path.exists()
    client.get(f"{API}/audit/checkpoint")
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_the_jwks_holds_public_keys_only(client: FlaskClient) -> None:
    client.get(f"{API}/audit/checkpoint")
    (key,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")


def test_rotation_keeps_old_checkpoints_verifiable(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    old = client.get(f"{API}/audit/checkpoint").get_data(as_text=True)
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    new = client.get(f"{API}/audit/checkpoint").get_data(as_text=True)
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert len(jwks["keys"]) == 2
    assert read(old, jwks).seq == read(new, jwks).seq == 0
    old_kid = jwt.get_unverified_header(old)["kid"]
    assert jwks["keys"][-1]["kid"] == old_kid  # current key listed first, retired after
    assert stat.S_IMODE(Path(app.config["LICENSING_SIGNING_KEY_FILE"]).stat().st_mode) == 0o600


@pytest.mark.parametrize("claimed_kid", ["someone-elses-key", None])
def test_checkpoints_from_unknown_keys_or_forged_ones_are_refused(
    client: FlaskClient, claimed_kid: str | None
) -> None:
    genuine = client.get(f"{API}/audit/checkpoint").get_data(as_text=True)
    jwks = client.get("/.well-known/jwks.json").get_json()
    forger = Ed25519PrivateKey.generate()
    kid = claimed_kid or jwks["keys"][0]["kid"]  # None: pretend to be the registry's key
    body = jwt.api_jws.decode(genuine, options={"verify_signature": False})
    forged = jwt.api_jws.encode(body, forger, algorithm="EdDSA", headers={"kid": kid})
    with pytest.raises(CheckpointRefused, match="unknown key" if claimed_kid else "signature"):
        read(forged, jwks)


def test_a_configured_key_file_is_used(
    make_app: Callable[..., Flask], tmp_path: Path, runner: FlaskCliRunner
) -> None:
    path = tmp_path / "given.pem"
    private = Ed25519PrivateKey.generate()
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(path, 0o600)
    app = make_app(LICENSING_SIGNING_KEY_FILE=str(path))
    token = app.test_client().get(f"{API}/audit/checkpoint").get_data(as_text=True)
    assert jwt.api_jws.decode(token, private.public_key(), algorithms=["EdDSA"])


def test_public_signing_routes_are_rate_limited(make_app: Callable[..., Flask]) -> None:
    client = make_app(LICENSING_RATELIMIT_PUBLIC="2 per minute").test_client()
    assert [client.get(f"{API}/audit/checkpoint").status_code for _ in range(3)] == [200, 200, 429]
    # one budget for all public routes: the key set is refused too
    assert client.get("/.well-known/jwks.json").status_code == 429
