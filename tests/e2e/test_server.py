"""The issue's own acceptance path, over HTTP against gunicorn, checked with nothing but the
standard library and the rules of the design (section 4)."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

APPLICATION = {
    "holder_name": "ТОО «Экибастуз Цифровой Майнинг»",
    "holder_bin": "971240001315",
    "subtype": "I",
    "site_address": "г. Экибастуз, промзона ГРЭС-1",
    "region": "pavlodar",
    "capacity_mw": "12.5",
}


def decision(code: str, until: str | None = None) -> dict[str, object]:
    act = {
        "number": "17-ЛЦ/2026",
        "date": datetime.now(ZoneInfo("Asia/Almaty")).date().isoformat(),
        "by": "court" if code == "court_order" else "licensor",
    }
    body = {"reason_code": code, "reason": "Проверка", "legal_basis": "ст. 9", "decision": act}
    return body | ({"until": until} if until else {})


def recompute(event: dict[str, object]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_a_licence_lives_its_whole_life_over_http(server: Server) -> None:
    regulator = server.flask("tokens", "create", "--role", "regulator", "--name", "alice").strip()
    miner = server.flask(
        "tokens", "create", "--role", "miner", "--name", "miner", "--bin", APPLICATION["holder_bin"]
    ).strip()

    status, headers, licence = server.request("POST", "/api/v1/licences", APPLICATION, regulator)
    assert status == 201 and headers["ETag"] == '"1"'
    number = licence["number"]
    other = server.request(
        "POST", "/api/v1/licences", {**APPLICATION, "holder_bin": "170646409046"}, regulator
    )[2]["number"]

    until = (datetime.now(ZoneInfo("Asia/Almaty")).date() + timedelta(days=60)).isoformat()
    steps = [
        ("suspend", decision("violation_found", until), "suspended"),
        ("resume", decision("violation_remedied"), "resumed"),
        ("suspend", decision("court_order", until), "suspended"),
        ("revoke", decision("unremedied_violation"), "revoked"),
    ]
    for action, body, expected in steps:
        status, _, licence = server.request(
            "POST", f"/api/v1/licences/{number}/{action}", body, regulator
        )
        assert (status, licence["status"]) == (200, expected)

    status, _, problem = server.request(
        "POST", f"/api/v1/licences/{number}/resume", decision("violation_remedied"), regulator
    )
    assert (
        status == 409
        and problem["current_status"] == "revoked"
        and problem["allowed_actions"] == []
    )

    status, _, own = server.request("GET", "/api/v1/licences", token=miner)
    assert status == 200 and [i["number"] for i in own["items"]] == [number]
    assert server.request("GET", f"/api/v1/licences/{other}", token=miner)[0] == 404

    status, _, history = server.request("GET", f"/api/v1/licences/{number}/history", token=miner)
    events = history["items"]
    assert [e["action"] for e in events] == ["issue", "suspend", "resume", "suspend", "revoke"]
    for event in events:
        assert event["hash"] == recompute(event)
    assert events[0]["prev"] == "0" * 64
    assert all(
        b["prev"] == a["hash"] for a, b in itertools.pairwise(events) if b["seq"] == a["seq"] + 1
    )

    public = server.request("GET", f"/api/v1/status/{number}")[2]
    assert public["status"] == "revoked" and "holder_bin" not in public


def test_several_worker_processes_share_one_chain(server: Server) -> None:
    regulator = server.flask("tokens", "create", "--role", "regulator", "--name", "bob").strip()
    numbers = []
    for _ in range(6):
        status, _, licence = server.request("POST", "/api/v1/licences", APPLICATION, regulator)
        assert status == 201
        numbers.append(licence["number"])
    hashes = []
    for number in numbers:
        events = server.request("GET", f"/api/v1/licences/{number}/history", token=regulator)[2][
            "items"
        ]
        hashes.extend((e["seq"], e["prev"], e["hash"]) for e in events)
    hashes.sort()
    assert [seq for seq, _, _ in hashes] == list(range(1, 7))
    assert all(b[1] == a[2] for a, b in itertools.pairwise(hashes))
