"""The audit routes over HTTP against gunicorn: streams cut short, keys made by racing workers."""

from __future__ import annotations

import http.client
import os
import stat
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from licensing.config import database_url
from licensing.domain.checkpoints import read
from tests.e2e.conftest import Server
from tests.synthetic import fill

pytestmark = pytest.mark.e2e


def test_a_client_that_leaves_mid_export_leaves_nothing_stuck(server: Server) -> None:
    engine = sa.create_engine(database_url(server.env["LICENSING_DATABASE_URL"]))
    try:
        _leave_mid_export(server, engine)
    finally:
        engine.dispose()


def _leave_mid_export(server: Server, engine: sa.Engine) -> None:
    fill(engine, 20_000)  # about 13 MB of NDJSON: far more than the socket buffers hold
    auditor = server.flask("tokens", "create", "--role", "auditor", "--name", "auditor").strip()
    regulator = server.flask("tokens", "create", "--role", "regulator", "--name", "reg").strip()

    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request(
        "GET", "/api/v1/audit/events?format=ndjson", headers={"Authorization": f"Bearer {auditor}"}
    )
    response = connection.getresponse()
    assert response.status == 200
    assert len(response.read(200_000)) == 200_000
    response.close()  # walk away mid-stream
    connection.close()

    if engine.dialect.name == "postgresql":
        stuck = sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
            " AND (state LIKE 'idle in transaction%' OR (state = 'active' AND query LIKE 'COPY%'))"
        )
        deadline = time.monotonic() + 10
        # autocommit: pg_stat_activity is read once per transaction
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
            while watch.execute(stuck).scalar() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert watch.execute(stuck).scalar() == 0

    application = {
        "holder_name": "ТОО «После обрыва»", "holder_bin": "971240001315", "subtype": "II",
        "site_address": "г. Павлодар", "region": "pavlodar", "capacity_mw": "3",
    }  # fmt: skip
    assert server.request("POST", "/api/v1/licences", application, regulator)[0] == 201
    status, _, report = server.request("GET", "/api/v1/audit/verify", token=auditor)
    assert status == 200 and report["ok"] and report["events_checked"] == 20_001


def test_workers_starting_together_share_one_new_key(
    start_server: Callable[..., Server], tmp_path: Path
) -> None:
    server = start_server(workers=4)
    key_file = Path(server.env["LICENSING_SIGNING_KEY_FILE"])
    assert not key_file.exists()
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: _checkpoint(server), range(24)))
    jwks = server.request("GET", "/.well-known/jwks.json")[2]
    assert len(jwks["keys"]) == 1
    assert all(read(token, jwks).seq == 0 for token in answers)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert not [p for p in key_file.parent.iterdir() if p.name.startswith(".signing-key-")]


def test_a_rotation_reaches_running_workers(server: Server) -> None:
    before = _checkpoint(server)
    server.flask("keys", "rotate")
    after = {_checkpoint(server).split(".")[0] for _ in range(6)}  # every worker, by now
    jwks = server.request("GET", "/.well-known/jwks.json")[2]
    assert len(jwks["keys"]) == 2
    assert before.split(".")[0] not in after and len(after) == 1
    assert read(before, jwks).seq == 0


def _checkpoint(server: Server) -> str:
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request("GET", "/api/v1/audit/checkpoint")
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 200, body
    return body
