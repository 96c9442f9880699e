"""`statements verify` takes a statement's .tlog-proof, offline with the log's vkeys and its
witnesses' keys; `audit verify-export --checkpoint` takes the log's signed-note checkpoint and
recomputes the export's tree root against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from licensing.domain import notes
from licensing.domain.chain import GENESIS, canonical_json, event_hash
from tests.factories import API, act, issue
from tests.web.test_verify_proofs import WITNESS, WITNESS_KEY, cosign

WITNESS_VKEY = notes.cosigner_vkey(WITNESS, WITNESS_KEY.public_key())


@pytest.fixture
def app(make_app) -> Flask:  # type: ignore[no-untyped-def]
    return make_app(LICENSING_LOG_WITNESSES=f"{WITNESS} {WITNESS_VKEY} http://127.0.0.1:9")


@pytest.fixture
def files(
    app: Flask, client: FlaskClient, regulator: dict[str, str], tmp_path: Path
) -> dict[str, Path]:
    """A suspended licence's proof (its event is seq 2 of a tree of 2, cosigned), the log's
    checkpoint, the JWKS and the full export."""
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend")
    cosign(app, client)
    paths = {n: tmp_path / n for n in ("s.tlog-proof", "s.jws", "cp.note", "jwks.json", "t.ndjson")}
    paths["s.tlog-proof"].write_text(client.get(f"{API}/status/{number}/statement.tlog-proof").text)
    paths["s.jws"].write_text(client.get(f"{API}/status/{number}/statement").text)
    paths["cp.note"].write_text(client.get("/log/checkpoint").text)
    paths["jwks.json"].write_bytes(client.get("/.well-known/jwks.json").data)
    return paths


def log_vkey(client: FlaskClient) -> str:
    return client.get(f"{API}/log").json["vkey"]


def offline(client: FlaskClient, files: dict[str, Path], *more: str) -> list[str]:
    return ["--jwks", str(files["jwks.json"]), "--vkey", log_vkey(client), *more]


def test_a_proof_checked_offline_is_genuine_in_the_log_and_cosigned(
    runner: FlaskCliRunner, client: FlaskClient, files: dict[str, Path]
) -> None:
    args = ["statements", "verify", str(files["s.tlog-proof"])]
    result = runner.invoke(args=[*args, *offline(client, files, "--witness", WITNESS_VKEY)])
    assert result.exit_code == 0, result.output
    assert "position 2 of a tree of 2" in result.stdout
    assert f"{WITNESS} cosigned at 2026-03-10T09:00:00Z" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("ok: genuine and current")


def test_a_proof_is_checked_with_the_registrys_own_keys_beside_the_database(
    runner: FlaskCliRunner, files: dict[str, Path]
) -> None:
    result = runner.invoke(args=["statements", "verify", str(files["s.tlog-proof"])])
    assert result.exit_code == 0, result.output
    assert WITNESS in result.stdout


def test_a_cosignature_of_a_witness_not_named_is_reported_not_counted(
    runner: FlaskCliRunner, client: FlaskClient, files: dict[str, Path]
) -> None:
    args = ["statements", "verify", str(files["s.tlog-proof"]), *offline(client, files)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert f"not counted     {WITNESS}" in result.stdout


@pytest.mark.parametrize(
    ("name", "tamper", "reason"),
    [
        ("wrong index", lambda p: p.replace("index 1\n", "index 0\n", 1), "(index)"),
        ("forged path", lambda p: p.replace(p.split("\n")[3], "A" * 43 + "=", 1), "(inclusion)"),
        ("truncated", lambda p: p[:200], "(malformed)"),
    ],
)
def test_a_tampered_proof_is_refused_with_the_reason(
    runner: FlaskCliRunner,
    client: FlaskClient,
    files: dict[str, Path],
    name: str,
    tamper,  # type: ignore[no-untyped-def]
    reason: str,
) -> None:
    proof = files["s.tlog-proof"]
    proof.write_text(tamper(proof.read_text()))
    result = runner.invoke(args=["statements", "verify", str(proof), *offline(client, files)])
    assert result.exit_code == 1, name
    assert f"REFUSED: refused {reason}" in result.stderr, (name, result.stderr)


def test_a_proof_checked_with_another_logs_key_is_refused(
    runner: FlaskCliRunner, files: dict[str, Path]
) -> None:
    other = notes.vkey("other.example/log", WITNESS_KEY.public_key())
    args = ["statements", "verify", str(files["s.tlog-proof"]), "--vkey", other]
    result = runner.invoke(args=[*args, "--jwks", str(files["jwks.json"])])
    assert result.exit_code == 1
    assert "refused (origin)" in result.stderr


def test_a_bad_vkey_is_a_usage_error(runner: FlaskCliRunner, files: dict[str, Path]) -> None:
    args = ["statements", "verify", str(files["s.tlog-proof"]), "--vkey", "nonsense"]
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and "--vkey" in result.output


def test_a_plain_statement_still_verifies(runner: FlaskCliRunner, files: dict[str, Path]) -> None:
    args = ["statements", "verify", str(files["s.jws"]), "--jwks", str(files["jwks.json"])]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output


def export(runner: FlaskCliRunner, path: Path) -> Path:
    assert runner.invoke(args=["audit", "export", "--out", str(path)]).exit_code == 0
    return path


def test_an_export_reproduces_the_logs_checkpoint(
    runner: FlaskCliRunner, client: FlaskClient, files: dict[str, Path]
) -> None:
    trail = export(runner, files["t.ndjson"])
    note = ["--checkpoint", str(files["cp.note"])]
    for keys in (["--vkey", log_vkey(client)], []):  # given, or the registry's own
        result = runner.invoke(args=["audit", "verify-export", str(trail), *note, *keys])
        assert result.exit_code == 0, result.output
        assert "reproduces the tree root of 1 log checkpoint(s)" in result.stdout


def test_a_jws_and_a_note_checkpoint_are_told_apart(
    runner: FlaskCliRunner, client: FlaskClient, files: dict[str, Path], tmp_path: Path
) -> None:
    trail = export(runner, files["t.ndjson"])
    jws = tmp_path / "cp.jws"
    jws.write_text(client.get(f"{API}/audit/checkpoint").text)
    args = ["audit", "verify-export", str(trail), "--checkpoint", str(jws), "--jwks",
            str(files["jwks.json"]), "--checkpoint", str(files["cp.note"])]  # fmt: skip
    result = runner.invoke(args=[*args, "--vkey", log_vkey(client)])
    assert result.exit_code == 0, result.output
    assert "reproduces 1 checkpoint(s); reproduces the tree root of 1" in result.stdout


def _rewritten(lines: list[str]) -> list[str]:
    """The trail with its first reason changed and every hash and link recomputed."""
    prev, out = GENESIS, []
    for number, line in enumerate(lines):
        event = json.loads(line) | {"prev": prev}
        if number == 0:
            event["reason"] = "rewritten"
        event["hash"] = prev = event_hash(event)
        out.append(canonical_json(event))
    return out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_rewritten, "has another root than the log checkpoint"),
        (lambda lines: lines[:1], "before the log checkpoint of 2"),
    ],
)
def test_an_export_that_does_not_reproduce_the_tree_fails(
    runner: FlaskCliRunner,
    client: FlaskClient,
    files: dict[str, Path],
    change,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    trail = export(runner, files["t.ndjson"])
    trail.write_text("".join(line + "\n" for line in change(trail.read_text().splitlines())))
    args = ["audit", "verify-export", str(trail), "--checkpoint", str(files["cp.note"])]
    result = runner.invoke(args=[*args, "--vkey", log_vkey(client)])
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr


def test_a_forged_log_checkpoint_is_refused(
    runner: FlaskCliRunner, client: FlaskClient, files: dict[str, Path]
) -> None:
    trail = export(runner, files["t.ndjson"])
    note = files["cp.note"]
    note.write_text(note.read_text().replace("\n2\n", "\n1\n", 1))
    args = ["audit", "verify-export", str(trail), "--checkpoint", str(note)]
    result = runner.invoke(args=[*args, "--vkey", log_vkey(client)])
    assert result.exit_code == 1 and "checkpoint refused" in result.stderr
