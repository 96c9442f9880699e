"""Checkpoints: the chain head `{seq, hash, at}`, with the Merkle tree's `size` and `root`, signed
by the registry as a compact JWS (EdDSA, Ed25519, `kid` in the header), and how anyone checks one
against the registry's public keys."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from licensing.domain import jws
from licensing.domain.chain import canonical_json
from licensing.domain.jws import ALGORITHM, MEDIA_TYPE, thumbprint
from licensing.domain.trail import Checkpoint

__all__ = ["ALGORITHM", "MEDIA_TYPE", "CheckpointRefused", "payload", "read", "thumbprint"]


class CheckpointRefused(Exception):
    """A checkpoint that is malformed, signed by an unknown key, or whose signature is forged."""


def payload(seq: int, hash: str, at: str, root: bytes) -> bytes:
    """The claims of a checkpoint: the chain head, and the tree of its `seq` events (`size`, and
    `root` in base64, as the log's signed-note checkpoint gives them)."""
    tree = {"size": seq, "root": base64.b64encode(root).decode()}
    return canonical_json({"seq": seq, "hash": hash, "at": at, **tree}).encode()


def read(token: str, jwks: Mapping[str, Any]) -> Checkpoint:
    """The checkpoint inside `token`, once its signature holds for the key its `kid` names."""
    try:
        _, body = jws.read(token, jwks)
    except jws.JwsRefused as error:
        raise CheckpointRefused(str(error)) from None
    try:
        claims = json.loads(body)
        return Checkpoint(int(claims["seq"]), str(claims["hash"]), str(claims["at"]))
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointRefused(f"not a checkpoint: {error}") from None
