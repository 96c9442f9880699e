"""A statement's tlog-proof is genuine only when every part holds: the checkpoint is the log's,
the statement the registry's, the index the statement's event and the path leads to the root.
Each way of breaking one is refused with its own reason; a cosignature that does not hold is
reported, never counted."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from licensing.domain import merkle, notes
from licensing.domain.jws import thumbprint
from licensing.domain.log_proofs import (
    check_proof,
    is_tlog_proof,
    log_keys,
    open_log_checkpoint,
)

ORIGIN = "registry.example/licensing"
ISSUER = "urn:licensing:registry"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
LOG_KEY = Ed25519PrivateKey.generate()
RETIRED_KEY = Ed25519PrivateKey.generate()
STATEMENT_KEY = Ed25519PrivateKey.generate()
W1, W2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
W1_NAME, W2_NAME = "witness.example/w1", "bank.example/w2"
SIZE = 7
SEQ = 5  # the statement's event


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(private: Ed25519PrivateKey) -> dict[str, str]:
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    return {**key, "kid": thumbprint(key), "alg": "EdDSA", "use": "sig"}


JWKS = {"keys": [jwk(STATEMENT_KEY)]}
EVENT_HASHES = [hashlib.sha256(f"event {seq}".encode()).hexdigest() for seq in range(1, 9)]


def statement(private: Ed25519PrivateKey = STATEMENT_KEY, **changes: object) -> str:
    claims = {
        "iss": ISSUER, "sub": "DM-2026-000001", "status": "issued", "standing": "in_force",
        "in_force": True, "status_since": "2026-01-05T08:00:00Z", "suspended_until": None,
        "expires_on": "2029-01-05", "seq": SEQ, "hash": EVENT_HASHES[SEQ - 1],
        "iat": int(NOW.timestamp()) - 600, "exp": int(NOW.timestamp()) + 86_400,
    } | changes  # fmt: skip
    return jwt.encode(claims, private, "EdDSA", {"kid": jwk(STATEMENT_KEY)["kid"]})


def tree(size: int = SIZE) -> tuple[bytes, list[bytes]]:
    """The root of the first `size` events and the path of the statement's event."""
    frontier: list[bytes] = []
    for leaf, hex_hash in enumerate(EVENT_HASHES[:size]):
        frontier, _ = merkle.append(frontier, leaf, bytes.fromhex(hex_hash))
    leaves = [merkle.leaf_hash(bytes.fromhex(h)) for h in EVENT_HASHES[:size]]
    return merkle.root(frontier), [_mth(leaves[a:b]) for a, b in _path(SEQ - 1, size)]


def _mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(index: int, size: int) -> list[tuple[int, int]]:
    return merkle.inclusion_ranges(index, size)


def checkpoint(
    size: int = SIZE,
    origin: str = ORIGIN,
    signer: Ed25519PrivateKey = LOG_KEY,
    cosigners: tuple[tuple[str, Ed25519PrivateKey], ...] = ((W1_NAME, W1),),
    root: bytes | None = None,
) -> str:
    body = notes.checkpoint_body(notes.Checkpoint(origin, size, root or tree(size)[0]))
    lines = [notes.cosignature_line(body, name, key, 1_773_100_000) for name, key in cosigners]
    return notes.sign(body, origin, signer) + "".join(lines)


def proof(
    token: str | None = None,
    index: int = SEQ - 1,
    hashes: list[bytes] | None = None,
    note: str | None = None,
) -> str:
    extra = (token or statement()).encode()
    path = tree()[1] if hashes is None else hashes
    return notes.format_tlog_proof(notes.TlogProof(extra, index, tuple(path), note or checkpoint()))


KEYS = log_keys(
    [notes.vkey(ORIGIN, LOG_KEY.public_key()), notes.vkey(ORIGIN, RETIRED_KEY.public_key())],
    [notes.cosigner_vkey(W1_NAME, W1.public_key()), notes.cosigner_vkey(W2_NAME, W2.public_key())],
)


def check(text: str, at: datetime = NOW):  # type: ignore[no-untyped-def]
    return check_proof(text, KEYS, JWKS, at, ISSUER)


def test_a_real_proof_is_genuine_in_the_log_and_names_its_witnesses() -> None:
    found = check(proof())
    assert found.holds and found.genuine and found.in_log
    assert (found.position, found.size, found.reason) == (SEQ, SIZE, None)
    assert [(c.name, c.at.year) for c in found.cosigned] == [(W1_NAME, 2026)]
    assert found.not_counted == ()
    assert "position 5 of a tree of 7" in found.verdict
    assert is_tlog_proof(proof()) and not is_tlog_proof(statement())


def test_a_checkpoint_signed_by_a_retired_log_key_still_counts() -> None:
    found = check(proof(note=checkpoint(signer=RETIRED_KEY, cosigners=())))
    assert found.holds and found.cosigned == ()


def test_an_expired_statement_is_in_the_log_but_not_current() -> None:
    found = check(proof(), at=NOW + timedelta(days=2))
    assert found.genuine and not found.holds
    assert "expired" in (found.statement.problem or "")  # type: ignore[union-attr]


def _forged_statement() -> str:
    head, body, signature = statement().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    lie = b64url(json.dumps(claims | {"standing": "revoked"}).encode())
    return f"{head}.{lie}.{signature}"


def _without_line(text: str, number: int) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(lines[:number] + lines[number + 1 :])


def _swapped(path: list[bytes]) -> list[bytes]:
    return [path[1], path[0], *path[2:]]


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("not a proof", "hello", "malformed"),
        ("truncated", proof()[: len(proof()) // 2], "malformed"),
        ("a hash short", _without_line(proof(), 3), "malformed"),
        ("reordered hashes", proof(hashes=_swapped(tree()[1])), "inclusion"),
        ("forged hash", proof(hashes=[bytes(32), *tree()[1][1:]]), "inclusion"),
        ("another event's position", proof(index=SEQ), "index"),
        ("forged statement", proof(token=_forged_statement()), "statement"),
        ("statement re-signed", proof(token=statement(Ed25519PrivateKey.generate())), "statement"),
        ("another issuer", proof(token=statement(iss="urn:elsewhere")), "statement"),
        ("not a licence", proof(token=statement(sub="../../etc")), "statement"),
        ("another log", proof(note=checkpoint(origin="other.example/log")), "origin"),
        ("re-signed by another key", proof(note=checkpoint(signer=W2, cosigners=())), "checkpoint"),
        ("another root", proof(note=checkpoint(root=bytes(32))), "inclusion"),
    ],
)
def test_a_broken_proof_is_refused_with_its_reason(name: str, text: str, reason: str) -> None:
    found = check(text)
    assert not found.genuine and not found.holds, name
    assert found.reason == reason, (name, found.problem)
    assert found.problem


def test_a_forged_log_signature_is_refused() -> None:
    note = checkpoint(cosigners=())
    body, sig = note.rsplit(" ", 1)
    raw = base64.b64decode(sig)
    forged = f"{body} {base64.b64encode(raw[:4] + bytes(64)).decode()}\n"
    found = check(proof(note=forged))
    assert found.reason == "checkpoint" and "does not hold" in (found.problem or "")


def test_a_cosignature_that_does_not_hold_or_is_unknown_is_reported_not_counted() -> None:
    stranger = Ed25519PrivateKey.generate()
    note = checkpoint(cosigners=((W1_NAME, W1), (W2_NAME, stranger), ("nobody.example", W2)))
    found = check(proof(note=note))
    assert found.holds
    assert [c.name for c in found.cosigned] == [W1_NAME]
    assert found.not_counted == (W2_NAME, "nobody.example")


def test_a_cosignature_of_another_tree_is_not_counted() -> None:
    other = checkpoint(size=8)
    moved = other.splitlines(keepends=True)[-1]  # w1's cosignature of the tree of 8
    note = checkpoint(cosigners=()) + moved
    found = check(proof(note=note))
    assert found.holds and found.cosigned == () and found.not_counted == (W1_NAME,)


def test_a_standalone_checkpoint_opens_with_the_logs_keys() -> None:
    opened = open_log_checkpoint(checkpoint(cosigners=((W2_NAME, W2),)), KEYS)
    assert (opened.checkpoint.size, opened.checkpoint.root) == (SIZE, tree()[0])
    assert [c.name for c in opened.cosigned] == [W2_NAME]
    with pytest.raises(notes.NoteRefused, match="is of the log"):
        open_log_checkpoint(checkpoint(origin="other.example/log"), KEYS)


@pytest.mark.parametrize(
    ("vkeys", "witnesses", "message"),
    [
        ([], [], "needed"),
        ([notes.cosigner_vkey(ORIGIN, W1.public_key())], [], "signer"),
        ([notes.vkey(ORIGIN, LOG_KEY.public_key()), notes.vkey("b", W1.public_key())], [], "more"),
        ([notes.vkey(ORIGIN, LOG_KEY.public_key())], [notes.vkey("w", W1.public_key())], "cosig"),
    ],
)
def test_keys_that_cannot_be_the_logs_are_refused(
    vkeys: list[str], witnesses: list[str], message: str
) -> None:
    with pytest.raises(notes.NoteRefused, match=message):
        log_keys(vkeys, witnesses)
