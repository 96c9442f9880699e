"""docs/verifying.md promises a stand-alone verifier; it must hold for real exports and refuse
tampered ones."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from licensing.domain.chain import canonical_json
from tests.factories import API, act, issue

DOC = (Path(__file__).resolve().parents[1] / "docs" / "verifying.md").read_text(encoding="utf-8")


def verifier_source() -> str:
    block = DOC.split("<!-- verifier -->", 1)[1].split("```python\n", 1)[1]
    return block.split("```", 1)[0]


@pytest.fixture
def files(
    client: FlaskClient,
    regulator: dict[str, str],
    token: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> dict[str, Path]:
    for holder in ("ТОО «Альфа»", 'ТОО "Бета", филиал'):
        number = issue(client, regulator, holder_name=holder)["number"]
        act(client, regulator, number, "suspend")
    paths = {
        name: tmp_path / name
        for name in ("verify.py", "trail.ndjson", "checkpoint.jws", "jwks.json")
    }
    paths["verify.py"].write_text(verifier_source())
    export = client.get(
        f"{API}/audit/events", headers=token("auditor"), query_string={"format": "ndjson"}
    )
    paths["trail.ndjson"].write_bytes(export.data)
    paths["checkpoint.jws"].write_text(client.get(f"{API}/audit/checkpoint").get_data(as_text=True))
    paths["jwks.json"].write_bytes(client.get("/.well-known/jwks.json").data)
    return paths


def run(paths: dict[str, Path], *names: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, str(paths["verify.py"]), *(str(paths[n]) for n in names)]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_the_verifier_is_short(files: dict[str, Path]) -> None:
    code = [line for line in verifier_source().splitlines() if line.strip()]
    assert len(code) <= 35


def test_the_documented_verifier_accepts_a_real_export_and_its_checkpoint(
    files: dict[str, Path],
) -> None:
    plain = run(files, "trail.ndjson")
    assert plain.returncode == 0 and "ok: 4 events hold" in plain.stdout
    anchored = run(files, "trail.ndjson", "checkpoint.jws", "jwks.json")
    assert anchored.returncode == 0, anchored.stderr
    assert "checkpoint at seq 4 reproduced" in anchored.stdout


def test_the_documented_verifier_refuses_an_edit(files: dict[str, Path]) -> None:
    lines = files["trail.ndjson"].read_text().splitlines()
    event = json.loads(lines[1]) | {"reason": "смягчённая причина"}
    lines[1] = canonical_json(event)
    files["trail.ndjson"].write_text("\n".join(lines) + "\n")
    result = run(files, "trail.ndjson")
    assert result.returncode != 0 and "line 2" in result.stderr


def test_the_documented_verifier_refuses_a_cut_tail_and_a_forged_checkpoint(
    files: dict[str, Path],
) -> None:
    full = files["trail.ndjson"].read_text()
    files["trail.ndjson"].write_text("".join(full.splitlines(keepends=True)[:3]))
    cut = run(files, "trail.ndjson", "checkpoint.jws", "jwks.json")
    assert cut.returncode != 0 and "before the checkpoint" in cut.stderr
    files["trail.ndjson"].write_text(full)
    head, body, signature = files["checkpoint.jws"].read_text().split(".")
    files["checkpoint.jws"].write_text(f"{head}.{body}.{'A' * len(signature)}")
    forged = run(files, "trail.ndjson", "checkpoint.jws", "jwks.json")
    assert forged.returncode != 0 and "InvalidSignatureError" in forged.stderr
