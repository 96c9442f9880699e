"""Statements and checkpoints are signed without PyJWT's per-call work: the same bytes."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licensing.domain.chain import canonical_json
from licensing.services.signing import _loaded, compact_jws

PAYLOADS = [
    {"sub": "DM-2026-000001", "seq": 7, "in_force": True, "suspended_until": None},
    {"holder": "ТОО «Қазақ»", "quote": 'a "b" \\ c', "iat": 1764460800},
    {},
]


@pytest.mark.parametrize("claims", PAYLOADS)
def test_a_compact_jws_is_the_token_pyjwt_makes(claims: dict[str, object]) -> None:
    key = _loaded(Ed25519PrivateKey.generate(), None)
    payload = canonical_json(claims).encode()
    reference = jwt.api_jws.encode(
        payload, key.private, algorithm="EdDSA", headers={"kid": key.kid, "typ": "JOSE"}
    )
    assert compact_jws(key, payload) == reference
    assert jwt.api_jws.decode(reference, key.private.public_key(), algorithms=["EdDSA"]) == payload
