"""Go's sumdb packages accept what our formats say a log serves, and refuse it once tampered with.

Until the registry serves its log, the Go verifier is pointed at a small static log built here: an
RFC 6962 tree computed by a reference written from the RFC (hashlib only), its C2SP tiles and entry
bundles, and a checkpoint signed and cosigned with licensing.domain.notes."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licensing.domain.notes import (
    Checkpoint,
    TlogProof,
    checkpoint_body,
    cosignature_line,
    format_tlog_proof,
    sign,
    vkey,
)
from tests.interop.conftest import RunTlogcheck

ORIGIN = "registry.example/licensing"
SIZE = 1000  # three full tiles and entry bundles, a partial one of 232, a partial level-1 tile of 3
TILE = 256


# --- RFC 6962 section 2.1, from the RFC ----------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass
class ReferenceTree:
    leaves: tuple[bytes, ...]

    def __post_init__(self) -> None:
        self.mth = cache(self._mth)

    def _mth(self, lo: int, hi: int) -> bytes:
        if hi - lo == 0:
            return hashlib.sha256(b"").digest()
        if hi - lo == 1:
            return leaf_hash(self.leaves[lo])
        k = split(hi - lo)
        return node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))

    def root(self, size: int) -> bytes:
        return self.mth(0, size)

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]): the leaf's sibling first, the root's child last."""
        if hi - lo == 1:
            return []
        k = split(hi - lo)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def consistency(self, m: int, lo: int, hi: int, complete: bool = True) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b)."""
        n = hi - lo
        if m == n:
            return [] if complete else [self.mth(lo, hi)]
        k = split(n)
        if m <= k:
            return [*self.consistency(m, lo, lo + k, complete), self.mth(lo + k, hi)]
        return [*self.consistency(m - k, lo + k, hi, False), self.mth(lo, lo + k)]


def tile_path(level: str, n: int, width: int) -> str:
    """C2SP's tile/<L>/<N>[.p/<W>], N in zero-padded 3-digit elements, all but the last x-led."""
    elements = [f"{n % 1000:03d}"]
    while n >= 1000:
        n //= 1000
        elements.insert(0, f"x{n % 1000:03d}")
    return f"tile/{level}/{'/'.join(elements)}" + ("" if width == TILE else f".p/{width}")


def tiles(tree: ReferenceTree, size: int) -> dict[str, bytes]:
    """Every tile and entry bundle a tree of `size` leaves is served as (tlog-tiles)."""
    served: dict[str, bytes] = {}
    level = 0
    while size >> (8 * level):
        span = TILE**level  # leaves under each hash of a tile at this level
        count = size // span  # hashes at this level
        for n in range(0, count, TILE):
            width = min(TILE, count - n)
            hashes = (tree.mth((n + i) * span, (n + i + 1) * span) for i in range(width))
            served[tile_path(str(level), n // TILE, width)] = b"".join(hashes)
        level += 1
    for n in range(0, size, TILE):
        entries = tree.leaves[n : min(n + TILE, size)]
        bundle = b"".join(len(e).to_bytes(2, "big") + e for e in entries)
        served[tile_path("entries", n // TILE, len(entries))] = bundle
    return served


# --- a static log over HTTP ---------------------------------------------------------------------


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass
class StaticLog:
    tree: ReferenceTree
    size: int
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    witness: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    files: dict[str, bytes] = field(default_factory=dict)
    tamper: Callable[[dict[str, object]], None] = lambda proof: None
    url: str = ""

    def __post_init__(self) -> None:
        body = checkpoint_body(Checkpoint(ORIGIN, self.size, self.root))
        self.checkpoint = sign(body, ORIGIN, self.key) + cosignature_line(
            body, "witness.example/w1", self.witness, 1700000000
        )
        self.files = {"log/checkpoint": self.checkpoint.encode()}
        self.files.update({f"log/{p}": data for p, data in tiles(self.tree, self.size).items()})

    @property
    def root(self) -> bytes:
        return self.tree.root(self.size)

    @property
    def vkey(self) -> str:
        return vkey(ORIGIN, self.key.public_key())

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[str, bytes] | None:
        if path in self.files:
            kind = "text/plain; charset=utf-8" if path == "log/checkpoint" else "octet-stream"
            return kind, self.files[path]
        if path == "api/v1/log/proof/inclusion":
            seq, size = int(query["seq"][0]), int(query["size"][0])
            proof: dict[str, object] = {
                "seq": seq,
                "index": seq - 1,
                "size": size,
                "root": b64(self.tree.root(size)),
                "hashes": [b64(h) for h in self.tree.path(seq - 1, 0, size)],
            }
        elif path == "api/v1/log/proof/consistency":
            old, new = int(query["from"][0]), int(query["to"][0])
            hashes = self.tree.consistency(old, 0, new)
            proof = {"from": old, "to": new, "hashes": [b64(h) for h in hashes]}
        else:
            return None
        self.tamper(proof)
        return "application/json", json.dumps(proof).encode()


def serve(log: StaticLog) -> Iterator[StaticLog]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            answer = log.answer(parts.path.lstrip("/"), parse_qs(parts.query))
            if answer is None:
                self.send_error(404)
                return
            kind, body = answer
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    log.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield log
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def tree() -> ReferenceTree:
    # leaf i is the 32-byte hash of the event with seq i + 1, as DESIGN section 10 has it
    return ReferenceTree(
        tuple(hashlib.sha256(f"event {i + 1}".encode()).digest() for i in range(SIZE))
    )


@pytest.fixture
def log(tree: ReferenceTree) -> Iterator[StaticLog]:
    yield from serve(StaticLog(tree, SIZE))


def ok(run: RunTlogcheck, *args: object) -> dict[str, object]:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refused(run: RunTlogcheck, *args: object) -> str:
    done = run(*args)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == ""
    return done.stderr


# --- the reference against itself (so a failure below is the log's, not the reference's) ---------


def test_the_reference_proofs_hold_by_rfc_9162s_verification(tree: ReferenceTree) -> None:
    def root_from_path(index: int, size: int, leaf: bytes, hashes: list[bytes]) -> bytes:
        fn, sn, r = index, size - 1, leaf
        for p in hashes:
            assert sn != 0
            if fn & 1 or fn == sn:
                r = node_hash(p, r)
                while not fn & 1 and fn:
                    fn, sn = fn >> 1, sn >> 1
            else:
                r = node_hash(r, p)
            fn, sn = fn >> 1, sn >> 1
        assert sn == 0
        return r

    for size in (1, 2, 3, 7, 256, 257, SIZE):
        for index in {0, size // 2, size - 1}:
            hashes = tree.path(index, 0, size)
            leaf = leaf_hash(tree.leaves[index])
            assert root_from_path(index, size, leaf, hashes) == tree.root(size)


def test_the_static_log_has_the_tiles_the_specification_counts(tree: ReferenceTree) -> None:
    served = sorted(tiles(tree, SIZE))
    levels = ["tile/0/000", "tile/0/001", "tile/0/002", "tile/0/003.p/232", "tile/1/000.p/3"]
    bundles = ["tile/entries/000", "tile/entries/001", "tile/entries/002", "tile/entries/003.p/232"]
    assert served == sorted([*levels, *bundles])
    assert tile_path("0", 1234067, TILE) == "tile/0/x001/x234/067"
    # tlog-tiles: a tree of 70,000 is 273 full level-0 tiles, one of 112, one full level-1 tile,
    # one of 17 and a level-2 tile of 1
    big = ReferenceTree(tuple(bytes(32) for _ in range(70000)))
    levels = [p for p in tiles(big, 70000) if not p.startswith("tile/entries")]
    assert len([p for p in levels if p.startswith("tile/0/") and ".p/" not in p]) == 273
    assert {p for p in levels if ".p/" in p or not p.startswith("tile/0/")} == {
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    }


# --- Go accepts the log -------------------------------------------------------------------------


def test_go_opens_the_checkpoint_signed_with_our_notes(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    out = ok(run_tlogcheck, "checkpoint", log.url, log.vkey)
    assert out == {"origin": ORIGIN, "size": SIZE, "root": b64(log.root)}


def test_go_reads_every_tile_and_entry_and_rebuilds_the_root(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    out = ok(run_tlogcheck, "tiles", log.url, log.vkey)
    assert out == {"size": SIZE, "root": b64(log.root), "leaves": SIZE, "bundles": 4}


@pytest.mark.parametrize("seq", [1, 2, 256, 257, 768, 769, 999, SIZE])
def test_go_checks_an_inclusion_proof(
    run_tlogcheck: RunTlogcheck, log: StaticLog, seq: int
) -> None:
    out = ok(run_tlogcheck, "inclusion", log.url, log.vkey, seq)
    assert out["index"] == seq - 1
    assert out["leaf"] == log.tree.leaves[seq - 1].hex()


@pytest.mark.parametrize("old", [1, 2, 255, 256, 257, 500, 999, SIZE])
def test_go_checks_a_consistency_proof(
    run_tlogcheck: RunTlogcheck, log: StaticLog, old: int
) -> None:
    out = ok(run_tlogcheck, "consistency", log.url, log.vkey, old, b64(log.tree.root(old)))
    assert (out["from"], out["to"], out["root"]) == (old, SIZE, b64(log.root))


def test_go_checks_a_tlog_proof_written_by_our_notes(
    run_tlogcheck: RunTlogcheck, log: StaticLog, tmp_path: Path
) -> None:
    index = 700
    hashes = tuple(log.tree.path(index, 0, SIZE))
    proof = tmp_path / "statement.tlog-proof"
    proof.write_text(format_tlog_proof(TlogProof(b"a JWS", index, hashes, log.checkpoint)))
    out = ok(run_tlogcheck, "proof", proof, log.vkey, log.tree.leaves[index].hex())
    assert out == {
        "index": index,
        "size": SIZE,
        "root": b64(log.root),
        "extra": b64(b"a JWS"),
        "hashes": len(hashes),
    }
    # …and refuses it for any other leaf
    assert "inclusion" in refused(run_tlogcheck, "proof", proof, log.vkey, log.tree.leaves[1].hex())


def test_go_opens_the_checkpoint_of_an_empty_log(run_tlogcheck: RunTlogcheck) -> None:
    for empty in serve(StaticLog(ReferenceTree(()), 0)):
        assert ok(run_tlogcheck, "tiles", empty.url, empty.vkey)["size"] == 0


# --- Go refuses a tampered log -------------------------------------------------------------------


def test_go_refuses_a_checkpoint_under_another_key(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    other = vkey(ORIGIN, Ed25519PrivateKey.generate().public_key())
    assert "checkpoint note" in refused(run_tlogcheck, "checkpoint", log.url, other)


def test_go_refuses_a_checkpoint_whose_size_was_changed(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    log.files["log/checkpoint"] = log.checkpoint.replace(f"\n{SIZE}\n", "\n999\n", 1).encode()
    assert "invalid signature" in refused(run_tlogcheck, "checkpoint", log.url, log.vkey)


def test_go_refuses_a_tile_with_one_hash_changed(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    tile = bytearray(log.files["log/tile/0/001"])
    tile[40] ^= 1
    log.files["log/tile/0/001"] = bytes(tile)
    # x/mod 0.7.0's TileHashReader authenticates a full tile against its parent only from position
    # len(stx) of its fetch list, and for 1000 leaves that skips tiles 0/000 to 0/002: the forged
    # leaf hash comes back. tlogcheck still refuses, because every entry must hash to its leaf.
    stderr = refused(run_tlogcheck, "tiles", log.url, log.vkey)
    assert "inconsistent tile" in stderr or "does not hash to leaf 257" in stderr


def test_go_refuses_an_entry_that_is_not_its_leaf(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    bundle = bytearray(log.files["log/tile/entries/003.p/232"])
    bundle[-1] ^= 1
    log.files["log/tile/entries/003.p/232"] = bytes(bundle)
    assert "does not hash to leaf 999" in refused(run_tlogcheck, "tiles", log.url, log.vkey)


def test_go_refuses_a_missing_partial_tile(run_tlogcheck: RunTlogcheck, log: StaticLog) -> None:
    del log.files["log/tile/0/003.p/232"]
    assert "404" in refused(run_tlogcheck, "tiles", log.url, log.vkey)


def test_go_refuses_an_inclusion_proof_with_a_changed_hash(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    def flip(proof: dict[str, object]) -> None:
        hashes = proof["hashes"]
        assert isinstance(hashes, list)
        hashes[0] = b64(hashlib.sha256(b"forged").digest())

    log.tamper = flip
    assert "invalid transparency proof" in refused(run_tlogcheck, "inclusion", log.url, log.vkey, 5)


def test_go_refuses_an_inclusion_proof_with_a_hash_missing(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    def drop(proof: dict[str, object]) -> None:
        hashes = proof["hashes"]
        assert isinstance(hashes, list)
        hashes.pop()

    log.tamper = drop
    assert "invalid transparency proof" in refused(run_tlogcheck, "inclusion", log.url, log.vkey, 5)


def test_go_refuses_a_consistency_proof_from_a_rewritten_past(
    run_tlogcheck: RunTlogcheck, log: StaticLog
) -> None:
    rewritten = ReferenceTree((bytes(32), *log.tree.leaves[1:])).root(500)
    stderr = refused(run_tlogcheck, "consistency", log.url, log.vkey, 500, b64(rewritten))
    assert "invalid transparency proof" in stderr
