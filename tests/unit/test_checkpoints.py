from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from licensing.domain.checkpoints import CheckpointRefused, payload, read, thumbprint

ROOT = bytes(32)


def keypair() -> tuple[Ed25519PrivateKey, dict[str, str]]:
    private = Ed25519PrivateKey.generate()
    public = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    public["kid"] = thumbprint(public)
    return private, public


def sign(private: Ed25519PrivateKey, kid: str, body: bytes, alg: str = "EdDSA") -> str:
    return jwt.api_jws.encode(body, private, algorithm=alg, headers={"kid": kid})


def test_a_checkpoint_signed_by_a_listed_key_is_read() -> None:
    private, public = keypair()
    token = sign(private, public["kid"], payload(7, "a" * 64, "2026-03-10T09:30:00.000000Z", ROOT))
    kept = read(token, {"keys": [public]})
    assert (kept.seq, kept.hash, kept.at) == (7, "a" * 64, "2026-03-10T09:30:00.000000Z")


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037, appendix A.3
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_a_checkpoint_from_an_unknown_key_is_refused() -> None:
    private, public = keypair()
    _, other = keypair()
    token = sign(private, public["kid"], payload(1, "a" * 64, "t", ROOT))
    with pytest.raises(CheckpointRefused, match="unknown key"):
        read(token, {"keys": [other]})


def test_a_forged_signature_is_refused() -> None:
    _, public = keypair()
    forger, _ = keypair()
    token = sign(
        forger, public["kid"], payload(1, "a" * 64, "t", ROOT)
    )  # claims the registry's kid
    with pytest.raises(CheckpointRefused, match="signature"):
        read(token, {"keys": [public]})


def test_an_altered_payload_is_refused() -> None:
    private, public = keypair()
    head, _, signature = sign(private, public["kid"], payload(1, "a" * 64, "t", ROOT)).split(".")
    altered = jwt.utils.base64url_encode(payload(1, "b" * 64, "t", ROOT)).decode()
    with pytest.raises(CheckpointRefused):
        read(f"{head}.{altered}.{signature}", {"keys": [public]})


@pytest.mark.parametrize("token", ["", "not.a.jws", "a.b"])
def test_garbage_is_refused(token: str) -> None:
    _, public = keypair()
    with pytest.raises(CheckpointRefused):
        read(token, {"keys": [public]})
