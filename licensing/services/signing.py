"""The registry's signing key: an Ed25519 private key in a PEM file that never leaves the server,
made on first use, rotated by the operator; its public keys, retired ones included, as a JWKS."""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import Table, select

from licensing.domain.jws import ALGORITHM, thumbprint
from licensing.models import SigningKey, db
from licensing.services.transaction import write_transaction

log = logging.getLogger(__name__)
_KEYS: Table = SigningKey.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    private: Ed25519PrivateKey
    public_jwk: dict[str, str]
    stamp: tuple[int, int]  # (inode, mtime): the file this was read from

    @property
    def header(self) -> dict[str, str]:
        return {"alg": ALGORITHM, "kid": self.kid, "typ": "JOSE"}

    @cached_property
    def protected(self) -> bytes:
        """The header as a compact JWS begins with it (base64url, then the dot): the same for
        every token this key signs, so written once."""
        header = json.dumps(self.header, separators=(",", ":"), sort_keys=True).encode()
        return _base64url(header) + b"."


class Signer:
    """Signs with the key in `path`, reloading it when the file is replaced (a rotation).

    Ed25519 signatures are deterministic (RFC 8032): the same key and payload always give the
    same token. So the last tokens signed are kept, by key and payload, and a payload signed
    again is answered from them: the same bytes, without the signing. Nothing read from the
    database is kept, only what a pure function gave for these exact inputs."""

    KEPT = 4096  # tokens; a few MB

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._key: LoadedKey | None = None
        self._lock = threading.Lock()
        self._signed: dict[tuple[str, bytes], str] = {}

    def sign(self, payload: bytes) -> str:
        key = self.current()
        token = self._signed.get((key.kid, payload))
        if token is None:
            token = compact_jws(key, payload)
            with self._lock:
                if len(self._signed) >= self.KEPT:
                    del self._signed[next(iter(self._signed))]  # the oldest
                self._signed[key.kid, payload] = token
        return token

    def current(self) -> LoadedKey:
        with self._lock:
            stamp = _stamp(self.path)
            if self._key is None or stamp != self._key.stamp:
                self._key = _load(self.path) if stamp else _create(self.path)
                publish(self._key)
            return self._key

    def rotate(self) -> LoadedKey:
        """A new current key; the old public key stays listed, marked retired."""
        with self._lock:
            if _stamp(self.path):
                publish(_load(self.path))
            self._key = _create(self.path, replace=True)
            publish(self._key, retire_others=True)
            return self._key


def compact_jws(key: LoadedKey, payload: bytes) -> str:
    """`payload` signed with `key` as a compact JWS: the bytes PyJWT's `encode` gives (sorted,
    compact header; a test holds the two to it), without its per-call preparation."""
    signing_input = key.protected + _base64url(payload)
    return (signing_input + b"." + _base64url(key.private.sign(signing_input))).decode()


def _base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jwks() -> dict[str, Any]:
    """Every public key the registry has signed with, the current ones first."""
    rows = db.session.scalars(
        select(SigningKey).order_by(SigningKey.retired_at.is_not(None), SigningKey.created_at)
    )
    return {
        "keys": [
            {**json.loads(row.public_jwk), "kid": row.kid, "alg": ALGORITHM, "use": "sig"}
            for row in rows
        ]
    }


def publish(key: LoadedKey, *, retire_others: bool = False) -> None:
    """Publish a key's public half; idempotent, and safe when several workers do it at once (the
    write transaction serialises them, so the second finds the key there)."""
    with write_transaction() as write:
        session = write.session
        row = session.get(SigningKey, key.kid)
        if row is None:
            write.insert(
                _KEYS,
                {
                    "kid": key.kid,
                    "public_jwk": json.dumps(key.public_jwk),
                    "created_at": write.now,
                    "retired_at": None,
                },
            )
        if retire_others:
            current = session.scalars(
                select(SigningKey.kid).where(
                    SigningKey.kid != key.kid, SigningKey.retired_at.is_(None)
                )
            )
            for kid in current:
                write.update(_KEYS, {"kid": kid}, {"retired_at": write.now})
            # a row inserted by this write is current already (and no row to update until commit)
            if row is not None and row.retired_at is not None:
                write.update(_KEYS, {"kid": key.kid}, {"retired_at": None})


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns


def _load(path: Path) -> LoadedKey:
    mode = path.stat().st_mode
    if mode & 0o077:
        log.warning(
            "signing key %s is readable by others (mode %o): chmod 600 it", path, mode & 0o777
        )
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return _loaded(private, _stamp(path))


def _loaded(private: Ed25519PrivateKey, stamp: tuple[int, int] | None) -> LoadedKey:
    public_jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    public_jwk = {k: public_jwk[k] for k in ("crv", "kty", "x")}
    return LoadedKey(thumbprint(public_jwk), private, public_jwk, stamp or (0, 0))


def _create(path: Path, *, replace: bool = False) -> LoadedKey:
    """Write a new key with owner-only permissions. Without `replace`, a key another process
    wrote first wins, so workers starting together end up with one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")
    try:
        with os.fdopen(descriptor, "wb") as handle:  # mkstemp creates it 0600
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)  # atomic, and never over an existing key
            except FileExistsError:
                return _load(path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    key = _load(path)
    log.info("new signing key %s written to %s", key.kid, path)
    return key
