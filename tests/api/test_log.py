"""The transparency log through the API (DESIGN section 10): the checkpoint, tiles and entry
bundles, /api/v1/log and its proofs, each statement's tlog-proof; the tree grown in the write of
its event; and every malformed request a 4xx problem naming what is wrong, never a 500.

Roots and tiles are recomputed here from the events' hashes (RFC 6962's MTH, written out below),
and the proofs are checked with licensing.domain.merkle's verifiers against the signed root."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import cache
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from licensing.domain import merkle, notes
from licensing.models import AuditEvent, LogNode, db
from licensing.services import transaction
from tests.factories import API, act, bearer, decision, issue
from tests.synthetic import fill

IMMUTABLE = "public, max-age=31536000, immutable"
NOTE = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"


# --- helpers -------------------------------------------------------------------------------------


def leaves(app: Flask) -> list[bytes]:
    """Each event's 32-byte hash, in seq order: the leaves' data."""
    with app.app_context():
        hashes = db.session.scalars(sa.select(AuditEvent.hash).order_by(AuditEvent.seq))
        return [bytes.fromhex(h) for h in hashes]


def counts(app: Flask) -> tuple[int, int]:
    """How many audit events and log_nodes rows the database holds."""
    with app.app_context():
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        nodes = db.session.scalar(sa.select(sa.func.count()).select_from(LogNode))
        return events or 0, nodes or 0


def mth(data: list[bytes]) -> bytes:
    """RFC 6962 section 2.1's Merkle tree hash, as the RFC writes it."""

    @cache
    def tree(lo: int, hi: int) -> bytes:
        if hi == lo:
            return hashlib.sha256(b"").digest()
        if hi - lo == 1:
            return hashlib.sha256(b"\x00" + data[lo]).digest()
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + tree(lo, lo + k) + tree(lo + k, hi)).digest()

    return tree(0, len(data))


def log(client: FlaskClient) -> dict[str, Any]:
    answer = client.get(f"{API}/log")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.get_json()
    return body


def opened_checkpoint(client: FlaskClient) -> notes.Checkpoint:
    answer = client.get("/log/checkpoint")
    assert answer.status_code == 200
    verifier = notes.parse_vkey(log(client)["vkey"])
    checkpoint, _ = notes.open_checkpoint(answer.get_data(as_text=True), verifier)
    return checkpoint


def b64(raw: bytes) -> bytes:
    return base64.b64decode(raw, validate=True)


def is_problem(answer: TestResponse, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body: dict[str, Any] = answer.get_json()
    assert body["status"] == status
    return body


@pytest.fixture
def trail(client: FlaskClient, regulator: dict[str, str]) -> list[str]:
    """Seven events through the API: three issued, one suspended and resumed, one revoked."""
    numbers = [issue(client, regulator)["number"] for _ in range(3)]
    for action in ("suspend", "resume"):
        assert act(client, regulator, numbers[0], action).status_code == 200
    assert act(client, regulator, numbers[1], "revoke").status_code == 200
    assert act(client, regulator, numbers[2], "suspend").status_code == 200
    return numbers


@pytest.fixture
def big(make_app: Callable[..., Flask]) -> Flask:
    """A trail of 600 events: level-0 tiles 000 and 001 full, 002 of 88; level 1 a tile of 2."""
    app = make_app()
    with app.app_context():
        fill(db.engine, 600, licences=50)
    return app


# --- the checkpoint and /api/v1/log --------------------------------------------------------------


def test_the_checkpoint_is_a_signed_note_of_the_current_tree_never_cached(
    app: Flask, client: FlaskClient, trail: list[str]
) -> None:
    answer = client.get("/log/checkpoint")
    assert answer.status_code == 200
    assert answer.content_type == NOTE
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    text = answer.get_data(as_text=True)
    described = log(client)
    origin = described["origin"]
    body, blank, signatures = text.partition("\n\n")
    assert blank and signatures.startswith(f"— {origin} ")
    checkpoint = opened_checkpoint(client)
    assert (checkpoint.origin, checkpoint.size) == (origin, 7)
    assert checkpoint.root == mth(leaves(app)) == b64(described["root"])
    assert body == f"{origin}\n7\n{described['root']}"
    # under any other key it does not open
    other = notes.parse_vkey(notes.vkey(origin, Ed25519PrivateKey.generate().public_key()))
    with pytest.raises(notes.NoteRefused):
        notes.open_checkpoint(text, other)


def test_api_log_describes_the_log_and_its_key(client: FlaskClient, trail: list[str]) -> None:
    answer = client.get(f"{API}/log")
    assert answer.mimetype == "application/json"
    described = answer.get_json()
    assert set(described) == {"origin", "vkey", "retired_vkeys", "size", "root", "witnesses"}
    assert described["origin"] == "localhost:5000/licensing"  # the host of the default base URL
    assert described["vkey"].startswith(described["origin"] + "+")
    verifier = notes.parse_vkey(described["vkey"])
    assert (verifier.name, verifier.algorithm) == (described["origin"], 1)
    assert (described["retired_vkeys"], described["witnesses"]) == ([], [])
    assert described["size"] == 7 and len(b64(described["root"])) == 32


def test_an_empty_log_has_the_empty_trees_root(client: FlaskClient) -> None:
    checkpoint = opened_checkpoint(client)
    assert (checkpoint.size, checkpoint.root) == (0, hashlib.sha256(b"").digest())
    assert log(client)["size"] == 0
    is_problem(client.get("/log/tile/0/000.p/1"), 404)
    is_problem(client.get("/log/tile/entries/000.p/1"), 404)
    assert client.get(f"{API}/log/proof/consistency?from=0&to=0").get_json()["hashes"] == []
    is_problem(client.get(f"{API}/log/proof/inclusion?seq=1"), 422)


def test_with_a_quorum_no_witness_has_met_the_checkpoint_is_503(
    make_app: Callable[..., Flask],
) -> None:
    witness = notes.cosigner_vkey("w.example/w1", Ed25519PrivateKey.generate().public_key())
    app = make_app(
        LICENSING_LOG_WITNESSES=f"w.example/w1 {witness} https://w.example",
        LICENSING_LOG_WITNESS_QUORUM="1",
    )
    client = app.test_client()
    answer = client.get("/log/checkpoint")
    body = is_problem(answer, 503)
    assert answer.headers["Retry-After"] == "60"
    assert "witness" in body["detail"]
    assert log(client)["witnesses"] == [{"name": "w.example/w1", "vkey": witness}]
    # a statement's proof does not wait for the witnesses: it carries the current tree's note
    number = issue(client, bearer(app, "regulator"))["number"]
    proof = client.get(f"{API}/status/{number}/statement.tlog-proof")
    assert proof.status_code == 200


# --- tiles and entry bundles ---------------------------------------------------------------------


def test_full_tiles_are_immutable_and_hold_the_leaf_hashes(big: Flask) -> None:
    client = big.test_client()
    data = leaves(big)
    assert len(data) == 600
    leaf_hashes = [merkle.leaf_hash(d) for d in data]
    for n in (0, 1):
        answer = client.get(f"/log/tile/0/00{n}")
        assert answer.status_code == 200
        assert answer.content_type == OCTETS
        assert answer.headers["Cache-Control"] == IMMUTABLE
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.data == b"".join(leaf_hashes[256 * n : 256 * (n + 1)])
        bundle = client.get(f"/log/tile/entries/00{n}")
        assert bundle.headers["Cache-Control"] == IMMUTABLE
        assert bundle.content_type == OCTETS
        assert bundle.data == b"".join(b"\x00\x20" + d for d in data[256 * n : 256 * (n + 1)])


def test_partial_tiles_are_cached_briefly_and_only_at_the_width_the_tree_holds(
    big: Flask,
) -> None:
    client = big.test_client()
    data = leaves(big)
    partial = client.get("/log/tile/0/002.p/88")
    assert partial.status_code == 200
    assert partial.headers["Cache-Control"] == "public, max-age=10"
    assert partial.data == b"".join(merkle.leaf_hash(d) for d in data[512:])
    smaller = client.get("/log/tile/0/002.p/5")  # a tree of 517 had it: still true
    assert smaller.data == partial.data[: 5 * 32]
    bundle = client.get("/log/tile/entries/002.p/88")
    assert bundle.headers["Cache-Control"] == "public, max-age=10"
    assert bundle.data == b"".join(b"\x00\x20" + d for d in data[512:])
    level1 = client.get("/log/tile/1/000.p/2")
    assert level1.data == mth(data[:256]) + mth(data[256:512])
    assert level1.headers["Cache-Control"] == "public, max-age=10"
    for missing in (
        "/log/tile/0/002",  # not full yet
        "/log/tile/0/002.p/89",
        "/log/tile/0/003.p/1",
        "/log/tile/1/000",
        "/log/tile/1/000.p/3",
        "/log/tile/2/000.p/1",
        "/log/tile/63/000.p/1",
        "/log/tile/entries/002",
        "/log/tile/entries/002.p/89",
        "/log/tile/entries/x001/000",
    ):
        body = is_problem(client.get(missing), 404)
        assert "no such tile" in body["detail"], missing


# --- proofs --------------------------------------------------------------------------------------


def test_every_inclusion_proof_verifies_against_the_signed_root(
    app: Flask, client: FlaskClient, trail: list[str]
) -> None:
    data = leaves(app)
    checkpoint = opened_checkpoint(client)
    for size in range(1, checkpoint.size + 1):
        root = checkpoint.root if size == checkpoint.size else mth(data[:size])
        for seq in range(1, size + 1):
            query = {"seq": seq} if size == checkpoint.size else {"seq": seq, "size": size}
            answer = client.get(f"{API}/log/proof/inclusion", query_string=query)
            assert answer.status_code == 200 and answer.mimetype == "application/json"
            proof = answer.get_json()
            assert set(proof) == {"seq", "index", "size", "root", "hashes"}
            assert (proof["seq"], proof["index"], proof["size"]) == (seq, seq - 1, size)
            assert b64(proof["root"]) == root
            hashes = [b64(h) for h in proof["hashes"]]
            leaf = merkle.leaf_hash(data[seq - 1])
            merkle.check_inclusion(seq - 1, size, leaf, hashes, root)
            with pytest.raises(merkle.ProofRefused):  # and for no other leaf
                merkle.check_inclusion(seq - 1, size, merkle.leaf_hash(b"x" * 32), hashes, root)


def test_every_consistency_proof_verifies_between_the_roots(
    app: Flask, client: FlaskClient, trail: list[str]
) -> None:
    data = leaves(app)
    size = opened_checkpoint(client).size
    for new in range(0, size + 1):
        for old in range(0, new + 1):
            answer = client.get(f"{API}/log/proof/consistency?from={old}&to={new}")
            assert answer.status_code == 200 and answer.mimetype == "application/json"
            proof = answer.get_json()
            assert (proof["from"], proof["to"]) == (old, new)
            hashes = [b64(h) for h in proof["hashes"]]
            merkle.check_consistency(old, new, mth(data[:old]), mth(data[:new]), hashes)


def test_proofs_for_a_600_event_tree_verify(big: Flask) -> None:
    client = big.test_client()
    data = leaves(big)
    root = opened_checkpoint(client).root
    for seq in (1, 255, 256, 257, 512, 513, 600):
        proof = client.get(f"{API}/log/proof/inclusion?seq={seq}").get_json()
        hashes = [b64(h) for h in proof["hashes"]]
        merkle.check_inclusion(seq - 1, 600, merkle.leaf_hash(data[seq - 1]), hashes, root)
    for old in (1, 256, 257, 511, 512, 599, 600):
        proof = client.get(f"{API}/log/proof/consistency?from={old}&to=600").get_json()
        hashes = [b64(h) for h in proof["hashes"]]
        merkle.check_consistency(old, 600, mth(data[:old]), root, hashes)


def test_a_statements_tlog_proof_holds_its_jws_and_its_events_inclusion(
    app: Flask, client: FlaskClient, trail: list[str]
) -> None:
    vkey = notes.parse_vkey(log(client)["vkey"])
    data = leaves(app)
    for number in trail:
        answer = client.get(f"{API}/status/{number}/statement.tlog-proof")
        assert answer.status_code == 200
        assert answer.content_type == NOTE
        assert answer.headers["Cache-Control"] == "no-cache"
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="{number}.tlog-proof"'
        )
        proof = notes.parse_tlog_proof(answer.get_data(as_text=True))
        assert proof.extra is not None
        claims = jwt.decode(proof.extra.decode(), options={"verify_signature": False})
        assert claims["sub"] == number
        assert proof.index == claims["seq"] - 1
        assert data[proof.index].hex() == claims["hash"]
        checkpoint, _ = notes.open_checkpoint(proof.checkpoint, vkey)
        assert checkpoint.size >= claims["seq"]
        leaf = merkle.leaf_hash(bytes.fromhex(claims["hash"]))
        merkle.check_inclusion(proof.index, checkpoint.size, leaf, proof.hashes, checkpoint.root)
    is_problem(client.get(f"{API}/status/DM-2026-999999/statement.tlog-proof"), 404)


# --- the tree grows in the event's own write -----------------------------------------------------


def test_each_write_grows_the_tree_by_its_event_and_a_refused_one_by_nothing(
    app: Flask, client: FlaskClient, regulator: dict[str, str], trail: list[str]
) -> None:
    assert counts(app) == (7, 7)
    revoked, suspended = trail[1], trail[2]
    refused = [
        act(client, regulator, revoked, "suspend"),  # a revoked licence: 409
        act(client, regulator, suspended, "suspend"),  # already suspended: 409
        act(client, regulator, suspended, "resume", decision("resume", reason_code="nope")),
        act(client, regulator, suspended, "suspend", {"reason": "no decision"}),
        client.post(f"{API}/licences", json={"holder_bin": "1"}, headers=regulator),
    ]
    assert [r.status_code for r in refused] == [409, 409, 422, 422, 422]
    assert counts(app) == (7, 7)
    assert opened_checkpoint(client).size == log(client)["size"] == 7
    assert act(client, regulator, suspended, "resume").status_code == 200
    assert counts(app) == (8, 8)
    assert opened_checkpoint(client).root == mth(leaves(app))


def test_a_write_that_fails_after_its_event_leaves_no_leaf(
    app: Flask,
    client: FlaskClient,
    regulator: dict[str, str],
    trail: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = opened_checkpoint(client)
    applied = transaction._apply

    def then_fail(*args: Any, **kwargs: Any) -> None:
        applied(*args, **kwargs)  # the event and its log_nodes row are written…
        raise RuntimeError("the database went away")  # …and the transaction never commits

    monkeypatch.setattr(transaction, "_apply", then_fail)
    with pytest.raises(RuntimeError):
        act(client, regulator, trail[0], "suspend")
    monkeypatch.setattr(transaction, "_apply", applied)  # (undo() would thaw the clock too)
    assert counts(app) == (7, 7)
    after = opened_checkpoint(client)
    assert (after.size, after.root) == (before.size, before.root)
    again = act(client, regulator, trail[0], "suspend")
    assert again.status_code == 200, again.get_json()
    assert counts(app) == (8, 8)
    assert opened_checkpoint(client).root == mth(leaves(app))


# --- what is refused, and how --------------------------------------------------------------------

HUGE = str(10**30)
LONG = "9" * 5000

BAD_QUERIES = [
    # (the query, the parameter the problem must name)
    ("inclusion?seq=8", "seq"),  # beyond the tree
    ("inclusion?seq=1&size=8", "size"),
    ("inclusion?seq=5&size=4", "seq"),
    ("inclusion?seq=0", "seq"),
    ("inclusion?seq=-1", "seq"),
    ("inclusion?seq=1&size=0", "size"),
    ("inclusion?seq=1&size=-3", "size"),
    (f"inclusion?seq={HUGE}", "seq"),
    (f"inclusion?seq=1&size={HUGE}", "size"),
    (f"inclusion?seq={2**63}", "seq"),
    (f"inclusion?seq={LONG}", "seq"),
    ("inclusion?seq=x", "seq"),
    ("inclusion?seq=1.0", "seq"),
    ("inclusion?seq=1e3", "seq"),
    ("inclusion?seq=+1", "seq"),
    ("inclusion?seq=%201", "seq"),
    ("inclusion?seq=0x1", "seq"),
    ("inclusion?seq=", "seq"),
    ("inclusion?seq=%D9%A1", "seq"),  # ١, ARABIC-INDIC DIGIT ONE
    ("inclusion?seq=%EF%BC%91", "seq"),  # １, FULLWIDTH DIGIT ONE
    ("inclusion?seq=1&size=%E0%A5%AD", "size"),  # ७, DEVANAGARI DIGIT SEVEN
    ("inclusion", "seq"),
    ("inclusion?size=3", "seq"),
    ("inclusion?seq=1&bogus=2", "bogus"),
    ("inclusion?seq=1&from=2", "from"),
    ("consistency?from=1&to=8", "to"),  # beyond the tree
    ("consistency?from=3&to=2", "from"),  # from > to
    ("consistency?from=8&to=9", "to"),
    ("consistency?from=-1&to=3", "from"),
    ("consistency?from=1&to=-3", "to"),
    (f"consistency?from={HUGE}&to=3", "from"),
    (f"consistency?from=1&to={HUGE}", "to"),
    (f"consistency?from=1&to={LONG}", "to"),
    ("consistency?from=a&to=3", "from"),
    ("consistency?from=1&to=three", "to"),
    ("consistency?from=%EF%BC%91&to=3", "from"),
    ("consistency?from=1", "to"),
    ("consistency?to=3", "from"),
    ("consistency", "from"),
    ("consistency?from=1&to=3&seq=2", "seq"),
    ("consistency?old=1&new=3", "old"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERIES)
def test_a_bad_proof_query_is_a_422_naming_the_parameter(
    client: FlaskClient, trail: list[str], query: str, field: str
) -> None:
    body = is_problem(client.get(f"{API}/log/proof/{query}"), 422)
    assert field in body["errors"], body


BAD_TILES = [
    "/log/tile/0/1",
    "/log/tile/0/01",
    "/log/tile/0/0000",
    "/log/tile/0/x001",
    "/log/tile/0/x000/000.p/1",
    "/log/tile/0/001/000",
    "/log/tile/0/000.p/0",
    "/log/tile/0/000.p/256",
    "/log/tile/0/000.p/257",
    "/log/tile/0/000.p/1000",
    "/log/tile/0/000.p/007",
    "/log/tile/0/000.p/-1",
    "/log/tile/0/000.p/",
    "/log/tile/0/000.p/1/",
    "/log/tile/0/000.p/x",
    f"/log/tile/0/000.p/{LONG}",
    "/log/tile/64/000",
    f"/log/tile/{HUGE}/000",
    "/log/tile/-1/000",
    "/log/tile/00/000.p/1",
    "/log/tile/01/000.p/1",
    "/log/tile/+0/000.p/1",
    "/log/tile/x/000",
    "/log/tile/%D9%A0/000.p/1",  # ٠ as the level
    "/log/tile/0/%D9%A0%D9%A0%D9%A0.p/1",  # ٠٠٠ as the index
    "/log/tile/0/000.p/%D9%A1",  # ١ as the width
    "/log/tile/0/%EF%BC%90%EF%BC%90%EF%BC%90.p/1",  # fullwidth ０００
    "/log/tile/0/000/",
    "/log/tile/0/",
    "/log/tile/",
    "/log/tile/0/../000.p/1",
    "/log/tile/0/./000.p/1",
    "/log/tile/0/%2e%2e/000.p/1",
    "/log/tile/0/" + "x001/" * 2000 + "000",
    "/log/tile/0/" + "9" * 5000,
    "/log/tile/entries/1",
    "/log/tile/entries/000.p/0",
    "/log/tile/entries/000.p/256",
    "/log/tile/entries/000.p/007",
    "/log/tile/entries/000/",
    "/log/tile/entries/",
    "/log/tile/entries/../000.p/1",
    "/log/tile/entries/x001/x002/x003/x004/x005/x006/x007/x008/009",
    "/log/tile/entries/%D9%A0%D9%A0%D9%A0.p/1",
    "/log/tile/data/000.p/1",
    "/log/tiles/0/000.p/1",
    "/log/checkpoint/",
    "/log/",
]


@pytest.mark.parametrize("path", BAD_TILES, ids=lambda p: p[:60])
def test_a_malformed_or_missing_tile_is_a_404_problem(
    client: FlaskClient, trail: list[str], path: str
) -> None:
    is_problem(client.get(path), 404)


def test_the_tiles_that_exist_are_served_at_their_one_path(
    client: FlaskClient, trail: list[str]
) -> None:
    # a doubled slash is sent on to the one path (werkzeug's merge_slashes, as everywhere)
    doubled = client.get("/log/tile/0//000.p/1")
    assert (doubled.status_code, doubled.location) == (308, "http://localhost/log/tile/0/000.p/1")
    assert client.get("/log/tile/0/000.p/7").status_code == 200
    assert client.get("/log/tile/entries/000.p/7").status_code == 200
    assert client.get("/log/tile/0/000.p/6").status_code == 200  # the tree of 6 had it


@pytest.mark.parametrize(
    "path",
    [
        "/log/checkpoint",
        "/log/tile/0/000.p/1",
        "/log/tile/entries/000.p/1",
        f"{API}/log",
        f"{API}/log/proof/inclusion?seq=1",
        f"{API}/log/proof/consistency?from=1&to=2",
    ],
)
def test_the_log_is_read_only(client: FlaskClient, trail: list[str], path: str) -> None:
    for method in ("post", "put", "delete", "patch"):
        is_problem(getattr(client, method)(path), 405)
