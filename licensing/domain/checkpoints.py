"""Checkpoints: the chain head `{seq, hash, at}` signed by the registry as a compact JWS (EdDSA,
Ed25519, `kid` in the header), and how anyone checks one against the registry's public keys."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jwt

from licensing.domain.chain import canonical_json
from licensing.domain.trail import Checkpoint

ALGORITHM = "EdDSA"
MEDIA_TYPE = "application/jose"


class CheckpointRefused(Exception):
    """A checkpoint that is malformed, signed by an unknown key, or whose signature is forged."""


def payload(seq: int, hash: str, at: str) -> bytes:
    return canonical_json({"seq": seq, "hash": hash, "at": at}).encode()


def thumbprint(public_jwk: Mapping[str, str]) -> str:
    """The RFC 7638 thumbprint of an Ed25519 public key: the registry's `kid`."""
    required = {k: public_jwk[k] for k in ("crv", "kty", "x")}
    digest = hashlib.sha256(canonical_json(required).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def read(token: str, jwks: Mapping[str, Any]) -> Checkpoint:
    """The checkpoint inside `token`, once its signature holds for the key its `kid` names."""
    try:
        header = jwt.get_unverified_header(token.strip())
        keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(dict(jwks)).keys}
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise CheckpointRefused(f"not a checkpoint: {error}") from None
    if header.get("alg") != ALGORITHM:
        raise CheckpointRefused(f"unexpected algorithm {header.get('alg')!r}")
    key = keys.get(header.get("kid"))
    if key is None:
        raise CheckpointRefused(f"signed by an unknown key {header.get('kid')!r}")
    try:
        body = jwt.api_jws.decode(token.strip(), key=key.key, algorithms=[ALGORITHM])
        claims = json.loads(body)
        return Checkpoint(int(claims["seq"]), str(claims["hash"]), str(claims["at"]))
    except jwt.InvalidSignatureError:
        raise CheckpointRefused("the signature does not match: forged or altered") from None
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
        raise CheckpointRefused(f"not a checkpoint: {error}") from None
