"""docs/verifying.md's proof check, run as a bank would run it, against a real proof from a test
app with a witness: it accepts the proof and names the witness, and refuses tampered ones."""

from __future__ import annotations

import base64
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.domain import notes
from tests.conftest import Clock
from tests.factories import API, issue
from tests.web.test_verify_proofs import WITNESS, WITNESS_KEY, cosign

DOC = (Path(__file__).resolve().parents[1] / "docs" / "verifying.md").read_text(encoding="utf-8")
WITNESS_VKEY = notes.cosigner_vkey(WITNESS, WITNESS_KEY.public_key())


def proof_checker_source() -> str:
    block = DOC.split("<!-- proof-verifier -->", 1)[1].split("```python\n", 1)[1]
    return block.split("```", 1)[0]


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(LICENSING_LOG_WITNESSES=f"{WITNESS} {WITNESS_VKEY} http://127.0.0.1:9")


@pytest.fixture
def files(
    app: Flask, client: FlaskClient, regulator: dict[str, str], clock: Clock, tmp_path: Path
) -> dict[str, Path | str]:
    """Run with the real clock: the example checks `exp` against the time it runs at."""
    clock.moment = datetime.now(UTC)
    number = [issue(client, regulator)["number"] for _ in range(4)][-1]  # seq 4: two hashes
    cosign(app, client)
    paths: dict[str, Path | str] = {
        "script": tmp_path / "check_proof.py",
        "proof": tmp_path / "statement.tlog-proof",
        "jwks": tmp_path / "jwks.json",
        "vkey": client.get(f"{API}/log").json["vkey"],
    }
    Path(paths["script"]).write_text(proof_checker_source())
    Path(paths["proof"]).write_text(client.get(f"{API}/status/{number}/statement.tlog-proof").text)
    Path(paths["jwks"]).write_bytes(client.get("/.well-known/jwks.json").data)
    return paths


def run(files: dict[str, Path | str], *witnesses: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, *(str(files[n]) for n in ("script", "proof", "jwks", "vkey"))]
    return subprocess.run([*args, *witnesses], capture_output=True, text=True, timeout=60)


def test_the_documented_proof_check_is_short() -> None:
    assert len([line for line in proof_checker_source().splitlines() if line.strip()]) <= 65


def test_the_documented_proof_check_accepts_a_real_proof_and_names_its_witness(
    files: dict[str, Path | str],
) -> None:
    result = run(files, WITNESS_VKEY)
    assert result.returncode == 0, result.stderr
    assert "in the log at position 4 of a tree of 4" in result.stdout
    assert f"witnesses: {WITNESS}" in result.stdout
    stranger = notes.cosigner_vkey("bank.example/w", WITNESS_KEY.public_key())
    assert "not counted: bank.example/w" in run(files, stranger).stdout


def _forged_statement(lines: list[str]) -> None:
    token = base64.b64decode(lines[1].removeprefix("extra ")).decode()
    head, body, _ = token.split(".")
    lines[1] = "extra " + base64.b64encode(f"{head}.{body}.{'A' * 86}".encode()).decode()


def _forged_checkpoint(lines: list[str]) -> None:
    """The log's signature line (before the witness's) with its key id kept, its signature not."""
    signer, raw = lines[-3].rsplit(" ", 1)
    lines[-3] = f"{signer} {base64.b64encode(base64.b64decode(raw)[:4] + bytes(64)).decode()}"


@pytest.mark.parametrize(
    ("name", "tamper", "error"),
    [
        ("reordered path", lambda ls: ls.__setitem__(slice(3, 5), ls[4:2:-1]), "not in the tree"),
        ("another position", lambda ls: ls.__setitem__(2, "index 2"), "another event"),
        ("forged statement", _forged_statement, "InvalidSignature"),
        ("forged checkpoint", _forged_checkpoint, "InvalidSignature"),
    ],
)
def test_the_documented_proof_check_refuses_a_tampered_proof(
    files: dict[str, Path | str],
    name: str,
    tamper,
    error: str,  # type: ignore[no-untyped-def]
) -> None:
    path = Path(files["proof"])
    lines = path.read_text().split("\n")
    tamper(lines)
    path.write_text("\n".join(lines))
    result = run(files)
    assert result.returncode != 0, name
    assert error in result.stderr, (name, result.stderr)
