"""The registry's own log, served over real HTTP, read and checked by Go's sumdb packages.

Two trails: one written through the API (so the tree is grown by the write path, event by event)
and one of 70,000 events bulk-written by tests.synthetic.fill (full and partial tiles at levels 0,
1 and 2), then grown through the API. Old checkpoints are kept as they were served, and the roots
of older trees are recomputed here from the events' hashes by the RFC reference of
test_go_verifier, so the registry never vouches for what it is checked against."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from licensing.domain.checkpoints import read
from licensing.models import AuditEvent, db
from tests.conftest import POSTGRES_URL
from tests.factories import API, act, bearer, decision, issue
from tests.interop.conftest import RunTlogcheck
from tests.interop.test_go_verifier import ReferenceTree
from tests.synthetic import fill, licence_number


@dataclass
class Registry:
    app: Flask
    client: FlaskClient
    url: str
    regulator: dict[str, str]

    def log(self) -> dict[str, Any]:
        answer = self.client.get(f"{API}/log")
        assert answer.status_code == 200
        return answer.get_json()

    def vkey(self) -> str:
        return str(self.log()["vkey"])

    def leaves(self) -> tuple[bytes, ...]:
        """Every event's hash, in seq order, from the database (leaf data, DESIGN section 10)."""
        with self.app.app_context():
            hashes = db.session.scalars(sa.select(AuditEvent.hash).order_by(AuditEvent.seq))
            return tuple(bytes.fromhex(h) for h in hashes)


@pytest.fixture
def registry(make_app: Callable[..., Flask]) -> Iterator[Registry]:
    # Go fetches every tile of the tree from one address: the public limit must not answer 429
    app = make_app(LICENSING_RATELIMIT_PUBLIC="1000000 per minute")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # closing waits for the requests in flight, and their connections
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Registry(
            app, app.test_client(), f"http://127.0.0.1:{server.port}", bearer(app, "regulator")
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def ok(run: RunTlogcheck, *args: object) -> dict[str, Any]:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def lifecycle(registry: Registry, licences: int) -> list[str]:
    """Issue `licences` licences and walk each through suspend, resume (and revoke every third);
    the numbers issued."""
    numbers = []
    for _ in range(licences):
        number = issue(registry.client, registry.regulator)["number"]
        numbers.append(number)
        for action in ("suspend", "resume"):
            assert act(registry.client, registry.regulator, number, action).status_code == 200
        if len(numbers) % 3 == 0:
            assert act(registry.client, registry.regulator, number, "revoke").status_code == 200
    return numbers


def checkpoint_now(run: RunTlogcheck, registry: Registry) -> tuple[int, str]:
    out = ok(run, "checkpoint", registry.url, registry.vkey())
    return int(out["size"]), str(out["root"])


def check_statement_proof(
    run: RunTlogcheck, registry: Registry, number: str, tmp_path: Path
) -> dict[str, Any]:
    answer = registry.client.get(f"{API}/status/{number}/statement.tlog-proof")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    text = answer.get_data(as_text=True)
    proof = tmp_path / f"{number}.tlog-proof"
    proof.write_text(text)
    token = base64.b64decode(text.splitlines()[1].removeprefix("extra ")).decode()
    claims = jwt.decode(token, options={"verify_signature": False})
    out = ok(run, "proof", proof, registry.vkey(), claims["hash"])
    assert out["index"] == claims["seq"] - 1
    assert base64.b64decode(out["extra"]).decode() == token
    return out


def test_go_verifies_a_log_grown_through_the_api(
    run_tlogcheck: RunTlogcheck, registry: Registry, tmp_path: Path
) -> None:
    seen: list[tuple[int, str]] = []  # checkpoints as Go read them, while the trail grew
    numbers = lifecycle(registry, 1)
    seen.append(checkpoint_now(run_tlogcheck, registry))  # 3 events
    numbers += lifecycle(registry, 2)
    seen.append(checkpoint_now(run_tlogcheck, registry))  # 3 + 6 = 9
    numbers += lifecycle(registry, 3)
    seen.append(checkpoint_now(run_tlogcheck, registry))  # 9 + 10 = 19
    numbers += lifecycle(registry, 5)
    size, root = checkpoint_now(run_tlogcheck, registry)  # 19 + 16 = 35
    assert [s for s, _ in seen] == [3, 9, 19] and size == 35
    leaves = registry.leaves()
    assert len(leaves) == size
    reference = ReferenceTree(leaves)
    assert root == b64(reference.root(size))
    for old, old_root in seen:
        assert old_root == b64(reference.root(old))

    assert ok(run_tlogcheck, "tiles", registry.url, registry.vkey()) == {
        "size": size, "root": root, "leaves": size, "bundles": 1,
    }  # fmt: skip
    for seq in (1, 2, 16, 17, size // 2, size):
        out = ok(run_tlogcheck, "inclusion", registry.url, registry.vkey(), seq)
        assert (out["index"], out["leaf"]) == (seq - 1, leaves[seq - 1].hex())
    for old, old_root in [*seen, (1, b64(reference.root(1))), (32, b64(reference.root(32)))]:
        out = ok(run_tlogcheck, "consistency", registry.url, registry.vkey(), old, old_root)
        assert (out["from"], out["to"], out["root"]) == (old, size, root)
    for number in (numbers[0], numbers[5], numbers[-1]):  # active, revoked, the newest
        assert check_statement_proof(run_tlogcheck, registry, number, tmp_path)["size"] == size

    # the JWS checkpoint names the same tree as the signed note
    jws = registry.client.get(f"{API}/audit/checkpoint").get_data(as_text=True)
    claims = jwt.decode(jws, options={"verify_signature": False})
    assert (claims["size"], claims["root"]) == (size, root)
    kept = read(jws, registry.client.get("/.well-known/jwks.json").get_json())
    assert kept.seq == size


def test_go_verifies_the_log_after_a_key_rotation(
    run_tlogcheck: RunTlogcheck, registry: Registry, tmp_path: Path
) -> None:
    numbers = lifecycle(registry, 2)
    old_vkey = registry.vkey()
    old_size, old_root = checkpoint_now(run_tlogcheck, registry)
    result = registry.app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    log = registry.log()
    assert log["vkey"] != old_vkey
    assert log["retired_vkeys"] == [old_vkey]
    assert log["origin"] == old_vkey.split("+")[0]
    numbers += lifecycle(registry, 1)
    size, root = checkpoint_now(run_tlogcheck, registry)
    assert size == old_size + 3
    # the new checkpoint is signed by the new key only
    refused = run_tlogcheck("checkpoint", registry.url, old_vkey)
    assert refused.returncode == 1 and "checkpoint note" in refused.stderr
    out = ok(run_tlogcheck, "consistency", registry.url, log["vkey"], old_size, old_root)
    assert (out["to"], out["root"]) == (size, root)
    assert ok(run_tlogcheck, "tiles", registry.url, log["vkey"])["leaves"] == size
    check_statement_proof(run_tlogcheck, registry, numbers[0], tmp_path)


# 273 full level-0 tiles and one of 112; at level 1 one full and one of 17; at level 2 one of 1
SYNTHETIC = 70_000


@pytest.mark.skipif(
    POSTGRES_URL is not None,
    reason="the tree's rows are bytes read by the same statements on both databases; the tiles of "
    "every level are read from PostgreSQL by the smaller logs here and in tests/api/test_log.py, "
    "and filling 70,000 events twice would cost the run half a minute",
)
def test_go_reads_every_tile_of_a_70000_event_log_and_its_growth(
    run_tlogcheck: RunTlogcheck, registry: Registry, tmp_path: Path
) -> None:
    started = time.monotonic()
    with registry.app.app_context():
        fill(db.engine, SYNTHETIC, licences=500)
    vkey = registry.vkey()
    size, root = checkpoint_now(run_tlogcheck, registry)
    assert size == SYNTHETIC
    leaves = registry.leaves()
    reference = ReferenceTree(leaves)
    assert root == b64(reference.root(size))

    assert ok(run_tlogcheck, "tiles", registry.url, vkey) == {
        "size": size, "root": root, "leaves": size, "bundles": 274,
    }  # fmt: skip
    for path in ("tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17", "tile/2/000.p/1"):
        assert registry.client.get(f"/log/{path}").status_code == 200, path

    # the write path extends the bulk-built tree
    assert act(registry.client, registry.regulator, licence_number(7), "revoke").status_code == 200
    new = issue(registry.client, registry.regulator)["number"]
    assert act(registry.client, registry.regulator, new, "suspend", decision()).status_code == 200
    grown, grown_root = checkpoint_now(run_tlogcheck, registry)
    assert grown == SYNTHETIC + 3
    reference = ReferenceTree(registry.leaves())
    assert grown_root == b64(reference.root(grown))
    for seq in (1, 256, 257, 65536, 65537, 35000, SYNTHETIC, grown):
        out = ok(run_tlogcheck, "inclusion", registry.url, vkey, seq)
        assert out["index"] == seq - 1
    for old in (1, 255, 256, 65535, 65536, 65537, SYNTHETIC - 1):
        out = ok(run_tlogcheck, "consistency", registry.url, vkey, old, b64(reference.root(old)))
        assert (out["from"], out["to"], out["root"]) == (old, grown, grown_root)
    out = ok(run_tlogcheck, "consistency", registry.url, vkey, size, root)  # as Go read it
    assert out["to"] == grown
    assert ok(run_tlogcheck, "tiles", registry.url, vkey)["bundles"] == 274
    for number in (licence_number(7), licence_number(500), new):
        assert check_statement_proof(run_tlogcheck, registry, number, tmp_path)["size"] == grown
    assert time.monotonic() - started < 60
