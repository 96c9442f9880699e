"""The registry's compact JWS (RFC 7515; EdDSA over Ed25519, RFC 8037, the key named by `kid`):
how anything it signed is read back and checked against its public keys. Checkpoints and status
statements are both read here, so both refuse the same things in the same words."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import jwt

from licensing.domain.chain import canonical_json

ALGORITHM = "EdDSA"
MEDIA_TYPE = "application/jose"
# Far above anything the registry signs; reading stops before a pasted file costs anything.
MAX_TOKEN_CHARS = 8192
# the signature may be empty here, so that an unsigned (`alg: none`) token is named for what it is
_COMPACT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class JwsRefused(Exception):
    """A token that is malformed, not signed the registry's way, signed by a key the registry does
    not list, or whose signature does not hold. The message says which, in plain words."""


def thumbprint(public_jwk: Mapping[str, str]) -> str:
    """The RFC 7638 thumbprint of an Ed25519 public key: the registry's `kid`."""
    required = {k: public_jwk[k] for k in ("crv", "kty", "x")}
    digest = hashlib.sha256(canonical_json(required).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def read(token: str, jwks: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The header and payload of `token`, once its signature holds for the listed key its `kid`
    names. Only EdDSA is accepted: `none`, HMAC (a public key used as a shared secret) and every
    other algorithm are refused before any key is touched."""
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise JwsRefused(f"it is longer than {MAX_TOKEN_CHARS} characters: not a signed token")
    if not _COMPACT.fullmatch(token):
        raise JwsRefused("it is not a compact JWS (three base64url parts joined by dots)")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise JwsRefused("it is garbled or cut short: not a readable signed token") from None
    if header.get("alg") != ALGORITHM:
        raise JwsRefused(
            f"it is signed with {header.get('alg')!r}, not {ALGORITHM}: the registry never signs so"
        )
    try:
        keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(dict(jwks)).keys}
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
        raise JwsRefused(f"the key set is not usable: {error}") from None
    key = keys.get(header.get("kid"))  # type: ignore[arg-type]
    if key is None:
        raise JwsRefused(f"it is signed by an unknown key {header.get('kid')!r}")
    try:
        return header, jwt.api_jws.decode(token, key=key.key, algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        raise JwsRefused("the signature does not match: forged, altered or cut short") from None
    except jwt.PyJWTError as error:
        raise JwsRefused(f"it is garbled or cut short: {error}") from None
