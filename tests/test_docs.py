"""docs/verifying.md promises a stand-alone verifier; it must hold for real exports and refuse
tampered ones."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jwt
import pytest
from flask.testing import FlaskClient

from licensing.domain.chain import canonical_json
from tests.conftest import Clock
from tests.factories import API, act, decision, issue

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


def statement_checker_source() -> str:
    block = DOC.split("<!-- statement-verifier -->", 1)[1].split("```python\n", 1)[1]
    return block.split("```", 1)[0]


def test_the_documented_statement_check_accepts_a_real_statement_and_refuses_bad_ones(
    client: FlaskClient, regulator: dict[str, str], clock: Clock, tmp_path: Path
) -> None:
    """Run with the real clock: the example checks `exp` against the time it runs at."""
    clock.moment = datetime.now(UTC) - timedelta(days=2)
    number = issue(client, regulator)["number"]
    stale = client.get(f"{API}/status/{number}/statement").get_data(as_text=True)
    clock.moment = datetime.now(UTC)
    assert act(client, regulator, number, "suspend", decision(until=_until())).status_code == 200
    fresh = client.get(f"{API}/status/{number}/statement").get_data(as_text=True)
    script, jwks = tmp_path / "check_statement.py", tmp_path / "jwks.json"
    script.write_text(statement_checker_source())
    jwks.write_bytes(client.get("/.well-known/jwks.json").data)
    head, body, signature = fresh.split(".")
    unsigned = ".".join([jwt.utils.base64url_encode(b'{"alg":"none"}').decode(), body, ""])
    outcomes = {}
    for name, token in [
        ("fresh", fresh),
        ("stale", stale),
        ("forged", f"{head}.{body}.{signature[::-1]}"),
        ("unsigned", unsigned),
        ("cut", fresh[:-12]),
    ]:
        (tmp_path / f"{name}.jws").write_text(token)
        args = [sys.executable, str(script), str(tmp_path / f"{name}.jws"), str(jwks)]
        outcomes[name] = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert outcomes["fresh"].returncode == 0, outcomes["fresh"].stderr
    assert f"genuine: licence {number} is suspended" in outcomes["fresh"].stdout
    assert "ExpiredSignatureError" in outcomes["stale"].stderr
    for name in ("stale", "forged", "unsigned", "cut"):
        assert outcomes[name].returncode != 0, name
        assert "not genuine" in outcomes[name].stderr and "Traceback" not in outcomes[name].stderr


def test_the_statement_check_is_short() -> None:
    code = [line for line in statement_checker_source().splitlines() if line.strip()]
    assert len(code) <= 20


def _until() -> str:
    """A lawful end for a suspension decided today by the real clock: two months ahead."""
    today = datetime.now(ZoneInfo("Asia/Almaty")).date()
    return (today + timedelta(days=62)).isoformat()
