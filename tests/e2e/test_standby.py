"""A primary and its streaming hot standby, each a PostgreSQL of the test's own
(tests/support/postgres.py), behind gunicorn:

- public reads come from the standby (LICENSING_READ_DATABASE_URL) and claim no more than it has
  replayed: with replay paused, a licence changed a moment ago shows its old state there, and the
  statement's `seq` and the log's checkpoint are of that old state; the primary (and verification
  against it) knows the change;
- failover without loss: with synchronous replication (remote_apply), the primary is killed with
  SIGKILL in the middle of writes from several client processes and the standby promoted; the app,
  given both hosts in one libpq URL, serves again by itself; meanwhile only 503 problems with
  Retry-After; afterwards every acknowledged write is an event on the new primary, nothing refused
  left one, the trail, register and tree verify, and a checkpoint signed before the kill is
  extended by the new primary's tree;
- the same drill without synchronous replication, with the standby cut off for a moment first:
  the acknowledged tail is lost, and the log says so (its signing guard refuses to sign, another
  host's checkpoint is caught by the monitor, each saying how many signed events are missing).

These tests make their own clusters and never touch the test database, so they run once, in the
pass without LICENSING_TEST_DATABASE_URL."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.conftest import BIN, ROOT, Server, launch
from tests.support.postgres import OWN_CLUSTERS, ThrowawayPostgres, failover_url

pytestmark = OWN_CLUSTERS

APPLICATION = {
    "holder_name": "ТОО «Резерв»", "holder_bin": "971240001315", "subtype": "I",
    "site_address": "г. Павлодар", "region": "pavlodar", "capacity_mw": "12.5",
}  # fmt: skip
CLIENTS = 4
WRITING = 1.0  # seconds of writes between the steps of a drill
OUTAGE = 1.5  # seconds from the kill to the promotion: the operator's (or a tool's) reaction
RETRYING = 20.0  # seconds a client keeps repeating a refused write before it gives up


# What a client sees


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _claims(statement: str) -> dict[str, object]:
    payload = statement.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def _suspension() -> dict[str, object]:
    today = datetime.now(ZoneInfo("Asia/Almaty")).date()
    return {
        "reason_code": "violation_found", "reason": "Проверка", "legal_basis": "ст. 9",
        "decision": {"number": "17-ЛЦ/2026", "date": today.isoformat(), "by": "licensor"},
        "until": (today + timedelta(days=60)).isoformat(),
    }  # fmt: skip


def _public_status(server: Server, number: str) -> str:
    status, _, body = server.request("GET", f"/api/v1/status/{number}")
    assert status == 200, body
    return str(body["status"])


def _eventually(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the condition did not come about"
        time.sleep(0.1)


def test_public_reads_come_from_the_standby_and_claim_no_more_than_it_has_replayed(
    start_server: Callable[..., Server],
    primary: ThrowawayPostgres,
    standby: ThrowawayPostgres,
) -> None:
    server = start_server(
        workers=2, LICENSING_DATABASE_URL=primary.url, LICENSING_READ_DATABASE_URL=standby.url
    )
    regulator = server.flask("tokens", "create", "--role", "regulator", "--name", "r").strip()
    number = server.request("POST", "/api/v1/licences", APPLICATION, regulator)[2]["number"]
    _eventually(lambda: server.request("GET", f"/api/v1/status/{number}")[0] == 200)
    status, issued = _get(f"{server.url}/api/v1/status/{number}/statement")
    assert status == 200 and _claims(issued)["seq"] == _last_seq(server, regulator, number)

    standby.pause_replay()
    status, _, suspended = server.request(
        "POST", f"/api/v1/licences/{number}/suspend", _suspension(), regulator
    )
    assert status == 200 and suspended["status"] == "suspended"

    # the standby: the state it has replayed, and statements and checkpoints of that state only
    assert _public_status(server, number) == "issued"
    status, stale = _get(f"{server.url}/api/v1/status/{number}/statement")
    assert status == 200
    assert {k: _claims(stale)[k] for k in ("status", "seq", "hash")} == {
        k: _claims(issued)[k] for k in ("status", "seq", "hash")
    }
    status, note = _get(f"{server.url}/log/checkpoint")
    assert status == 200 and note.splitlines()[1] == str(_claims(issued)["seq"])
    # the primary: the regulator's reads, and a check of the statement against the register
    assert server.request("GET", f"/api/v1/licences/{number}", token=regulator)[2]["status"] == (
        "suspended"
    )
    checked = subprocess.run(
        [str(BIN / "flask"), "--app", "licensing", "statements", "verify", stale],
        env=server.env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 1 and "superseded" in checked.stderr
    assert "suspend (issued -> suspended)" in checked.stdout

    standby.resume_replay()
    _eventually(lambda: _public_status(server, number) == "suspended")
    status, fresh = _get(f"{server.url}/api/v1/status/{number}/statement")
    assert _claims(fresh)["status"] == "suspended"
    assert _claims(fresh)["seq"] == _last_seq(server, regulator, number) > _claims(issued)["seq"]


def _last_seq(server: Server, token: str, number: str) -> int:
    events = server.request("GET", f"/api/v1/licences/{number}/history", token=token)[2]["items"]
    return int(events[-1]["seq"])


# The failover drill


@dataclass(frozen=True)
class Answer:
    key: str  # the request's Idempotency-Key: one per write, kept when the write is repeated
    status: int
    kind: str | None  # a problem's type, last segment
    retry_after: str | None
    content_type: str | None
    request_id: str | None
    number: str | None  # the licence a 201 issued


def _write_for(url: str, token: str, client: int, stop: str) -> list[Answer]:
    """A client process: issue licences until the file `stop` exists, each with its own
    Idempotency-Key, repeating one refused with a 503 (with the same key) for up to RETRYING
    seconds."""
    answers: list[Answer] = []
    body = json.dumps(APPLICATION).encode()
    n = 0
    while not os.path.exists(stop):
        key, n = f"drill-{client}-{n}", n + 1
        give_up = time.monotonic() + RETRYING
        while True:
            request = urllib.request.Request(url + "/api/v1/licences", data=body, method="POST")
            request.add_header("Content-Type", "application/json")
            request.add_header("Authorization", f"Bearer {token}")
            request.add_header("Idempotency-Key", key)
            try:
                with urllib.request.urlopen(request, timeout=20) as response:
                    got = json.loads(response.read())
                    headers, status = response.headers, response.status
            except urllib.error.HTTPError as error:
                got, headers, status = json.loads(error.read() or b"{}"), error.headers, error.code
            answers.append(
                Answer(
                    key, status, str(got.get("type", "")).rsplit(":", 1)[-1] or None,
                    headers["Retry-After"], headers["Content-Type"], headers["X-Request-ID"],
                    got.get("number") if status == 201 else None,
                )
            )  # fmt: skip
            if status != 503 or time.monotonic() > give_up:
                break
            time.sleep(0.1)
    return answers


def _monitor(server: Server, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "licensing", "log", "monitor", server.url,
         "--state", str(state)],
        env=server.env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def _events(cluster: ThrowawayPostgres) -> dict[str, tuple[str, str]]:
    """The new primary's events: request id -> (action, licence)."""
    rows = cluster.sql("SELECT request_id, action, licence FROM audit_events")
    return {str(rid): (str(action), str(licence)) for rid, action, licence in rows}


def _drill(
    server: Server,
    primary: ThrowawayPostgres,
    standby: ThrowawayPostgres,
    folder: Path,
    before_checkpoint: Callable[[], None] = lambda: None,
    writing_after: float = WRITING,
) -> tuple[list[Answer], list[int]]:
    """Writes from CLIENTS processes; `before_checkpoint`; a checkpoint kept by the monitor
    (folder/monitor.json); the primary killed, the standby promoted, writes for `writing_after`
    seconds more. The answers, and /readyz's answers during the outage."""
    token = server.flask("tokens", "create", "--role", "regulator", "--name", "drill").strip()
    stop = folder / "stop"
    with ProcessPoolExecutor(CLIENTS) as pool:
        clients = [pool.submit(_write_for, server.url, token, n, str(stop)) for n in range(CLIENTS)]
        time.sleep(WRITING)
        before_checkpoint()
        time.sleep(WRITING)
        kept = _monitor(server, folder / "monitor.json")
        assert kept.returncode == 0, kept.stderr
        time.sleep(WRITING)
        primary.kill()
        outage = []
        deadline = time.monotonic() + OUTAGE
        while time.monotonic() < deadline:
            outage.append(_get(f"{server.url}/readyz")[0])
            time.sleep(0.2)
        standby.promote()
        _eventually(lambda: _get(f"{server.url}/readyz")[0] == 200)
        time.sleep(writing_after)
        stop.touch()
        answers = [answer for client in clients for answer in client.result(timeout=60)]
    return answers, outage


def test_a_failover_with_synchronous_replication_loses_no_acknowledged_change(
    start_server: Callable[..., Server],
    primary: ThrowawayPostgres,
    standby: ThrowawayPostgres,
    tmp_path: Path,
) -> None:
    primary.replicate_synchronously()
    server = start_server(workers=2, LICENSING_DATABASE_URL=failover_url(primary, standby))
    answers, outage = _drill(server, primary, standby, tmp_path)

    assert outage and set(outage) == {503}
    refused = [a for a in answers if a.status != 201]
    assert {a.status for a in refused} <= {503}
    assert refused, "no write was caught by the outage"
    assert all(a.content_type == "application/problem+json" and a.retry_after for a in refused), (
        refused
    )
    # every write was acknowledged in the end, and each is one event on the new primary
    final = {a.key: a for a in answers}
    assert {a.status for a in final.values()} == {201}
    events = _events(standby)
    issued = sorted(licence for action, licence in events.values() if action == "issue")
    assert issued == sorted(a.number for a in final.values() if a.number)
    # a refused write recorded nothing; but one whose COMMIT the kill cut off cannot know, says
    # so (outcome-unknown), and its repeat with the same key settled it (counted just above)
    assert not [a for a in refused if a.request_id in events and a.kind != "outcome-unknown"]
    assert "the register matches" in server.flask("audit", "verify")
    # the checkpoint kept before the kill: the new primary's tree extends it
    followed = _monitor(server, tmp_path / "monitor.json")
    assert followed.returncode == 0, followed.stderr


def test_a_failover_without_synchronous_replication_loses_the_tail_and_the_log_says_how_much(
    start_server: Callable[..., Server],
    primary: ThrowawayPostgres,
    standby: ThrowawayPostgres,
    tmp_path: Path,
) -> None:
    server = start_server(workers=2, LICENSING_DATABASE_URL=failover_url(primary, standby))
    # no new writes after the promotion (only the refused ones repeated), so that the new
    # primary's tree stays shorter than the one signed before the kill
    answers, _ = _drill(server, primary, standby, tmp_path, standby.cut_off, writing_after=0)

    events = _events(standby)
    on_new_primary = {licence for action, licence in events.values() if action == "issue"}
    acknowledged = {a.number for a in answers if a.number}
    lost = acknowledged - on_new_primary
    assert lost, "the standby was cut off, yet it had every acknowledged write"
    assert "the register matches" in server.flask("audit", "verify")  # a consistent prefix
    kept = json.loads((tmp_path / "monitor.json").read_text())
    ((head,),) = standby.sql("SELECT seq FROM audit_head")
    missing = kept["size"] - int(head)  # type: ignore[call-overload]
    assert missing > 0

    # this host signed the longer tree: it signs nothing on the shorter one, and logs why
    status, body = _get(f"{server.url}/log/checkpoint")
    assert status == 503 and json.loads(body)["type"].endswith("log-rewound")
    log = next(tmp_path.glob("gunicorn-*.log")).read_text()
    assert f"{missing} signed events are missing" in log
    # a host that never signed it does sign the shorter tree: the monitor catches it
    other = tmp_path / "other-host"
    other.mkdir()
    shutil.copy(tmp_path / "signing-key.pem", other / "signing-key.pem")
    second, running = launch(failover_url(primary, standby), other, workers=1)
    try:
        followed = _monitor(second, tmp_path / "monitor.json")
    finally:
        running.stop()
    assert followed.returncode == 4, followed.stderr
    assert f"{missing} signed events are missing" in followed.stderr
