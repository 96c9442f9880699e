"""The OpenAPI document against the running service: schemathesis fuzzes every operation, and the
issuing operation's links, with a token of each role, and must find nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import BIN, Server

pytestmark = pytest.mark.e2e

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Per role, in seconds: four roles stay within about three minutes on two cores.
TIME_PER_ROLE = 35
MINER_BIN = "971240001315"
OTHER_BIN = "170646409046"


def application(holder_bin: str, region: str) -> dict[str, str]:
    return {
        "holder_name": "ТОО «Экибастуз Цифровой Майнинг»",
        "holder_bin": holder_bin,
        "subtype": "I",
        "site_address": "г. Экибастуз, промзона ГРЭС-1",
        "region": region,
        "capacity_mw": "12.5",
    }


def fuzz(server: Server, token: str | None, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(BIN / "schemathesis"), "run", f"{server.url}/openapi.json",
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--workers", "1",
        "--max-examples", "25",
        "--max-time", str(TIME_PER_ROLE),
        "--request-timeout", "10",
        "--generation-database", "none",
        "--no-color",
    ]  # fmt: skip
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    # schemathesis keeps a cache of crashes where it runs: the test's folder, not the tree
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=TIME_PER_ROLE * 3,
        check=False,
    )  # fmt: skip


def test_the_service_keeps_its_openapi_contract_for_every_role(
    start_server: Callable[..., Server], tmp_path: Path
) -> None:
    # the fuzzer is one client sending thousands of requests: it must not be answered 429
    server = start_server(LICENSING_RATELIMIT_PUBLIC="100000 per minute")
    regulator = server.flask("tokens", "create", "--role", "regulator", "--name", "r").strip()
    auditor = server.flask("tokens", "create", "--role", "auditor", "--name", "a").strip()
    miner = server.flask(
        "tokens", "create", "--role", "miner", "--name", "m", "--bin", MINER_BIN
    ).strip()
    for holder_bin, region in ((MINER_BIN, "pavlodar"), (MINER_BIN, "almaty"), (OTHER_BIN, "abai")):
        status, _, _ = server.request(
            "POST", "/api/v1/licences", application(holder_bin, region), regulator
        )
        assert status == 201
    assert server.request("GET", "/api/v1/licences", token=miner)[2]["total"] == 2

    found = {}
    for role, token in (
        ("anonymous", None), ("regulator", regulator), ("auditor", auditor), ("miner", miner),
    ):  # fmt: skip
        run = fuzz(server, token, tmp_path)
        if run.returncode != 0:
            found[role] = run.stdout + run.stderr
    for role, report in found.items():
        print(f"\n===== schemathesis as {role} =====\n{report}")
    assert not found, f"schemathesis found failures as {', '.join(found)}; see the output"
