"""Faults under load: a PostgreSQL of the test's own is restarted while several gunicorn workers
serve several client processes. Requests caught by it fail with a 503 problem and write nothing,
/readyz fails while the database is away, the service recovers by itself, and afterwards the chain
and the register verify and every accepted answer matches exactly one event. Also: a client that
disconnects mid-request leaves no transaction open; a slow client and an oversized body take no
worker down.

These tests make their own cluster (tests/support/postgres.py) and never touch the test database,
so they run once, in the pass without LICENSING_TEST_DATABASE_URL."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import psycopg

from tests.e2e.conftest import Server
from tests.support.postgres import OWN_CLUSTERS, ThrowawayPostgres

pytestmark = OWN_CLUSTERS
APPLICATION = {
    "holder_name": "ТОО «Стресс»", "holder_bin": "971240001315", "subtype": "I",
    "site_address": "г. Павлодар", "region": "pavlodar", "capacity_mw": "12.5",
}  # fmt: skip
CLIENTS = 4
LOAD_SECONDS = 12.0


def _issue_for(url: str, token: str, seconds: float) -> list[tuple[int, str, str | None]]:
    """A client process: issue licences for `seconds`; (status, content type, request id) each."""
    answers = []
    body = json.dumps(APPLICATION).encode()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request = urllib.request.Request(url + "/api/v1/licences", data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                answers.append((response.status, response.headers["Content-Type"],
                                response.headers["X-Request-ID"]))  # fmt: skip
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.headers["Content-Type"],
                            error.headers["X-Request-ID"]))  # fmt: skip
            time.sleep(0.05)
    return answers


def _ready(server: Server) -> int:
    try:
        return server.request("GET", "/readyz")[0]
    except OSError:
        return 0


def test_a_database_restart_under_load_fails_cleanly_and_recovers_by_itself(
    start_server: Callable[..., Server], primary: ThrowawayPostgres
) -> None:
    server = start_server(workers=3, LICENSING_DATABASE_URL=primary.url)
    token = server.flask("tokens", "create", "--role", "regulator", "--name", "stress").strip()
    assert _ready(server) == 200

    with ProcessPoolExecutor(CLIENTS) as pool:
        clients = [pool.submit(_issue_for, server.url, token, LOAD_SECONDS) for _ in range(CLIENTS)]
        time.sleep(LOAD_SECONDS / 3)
        primary.stop()
        away = [_ready(server) for _ in range(3)]
        time.sleep(1.5)
        primary.start()
        answers = [answer for client in clients for answer in client.result(timeout=60)]

    assert 503 in away and 200 not in away
    deadline = time.monotonic() + 20
    while _ready(server) != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _ready(server) == 200
    statuses = {status for status, _, _ in answers}
    assert statuses <= {201, 503}, statuses
    assert 201 in statuses and 503 in statuses
    assert all(kind == "application/problem+json" for status, kind, _ in answers if status == 503)

    with psycopg.connect(primary.url) as connection:
        events = dict(
            connection.execute(
                "SELECT request_id, count(*) FROM audit_events GROUP BY 1"
            ).fetchall()
        )
        licences = connection.execute("SELECT count(*) FROM licences").fetchone()
    accepted = [rid for status, _, rid in answers if status == 201]
    refused = [rid for status, _, rid in answers if status == 503]
    assert all(events.get(rid) == 1 for rid in accepted)
    assert not [rid for rid in refused if rid in events]  # nothing half-applied
    assert licences == (len(accepted),) and sum(events.values()) == len(accepted)
    assert "the register matches" in server.flask("audit", "verify")


def test_disconnects_slow_clients_and_oversized_bodies_leave_the_workers_serving(
    start_server: Callable[..., Server], primary: ThrowawayPostgres
) -> None:
    server = start_server(workers=2, LICENSING_DATABASE_URL=primary.url)
    token = server.flask("tokens", "create", "--role", "regulator", "--name", "gone").strip()
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    body = json.dumps(APPLICATION).encode()
    head = (
        f"POST /api/v1/licences HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    for _ in range(5):  # send a whole write and hang up before the answer
        with socket.create_connection((host, port)) as gone:
            gone.sendall(head + body)
    slow = socket.create_connection((host, port))  # half a request head, then nothing
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    try:
        oversized = (
            f"POST /api/v1/licences HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n"
        ).encode()
        with socket.create_connection((host, port)) as big:
            big.sendall(oversized + b"{" * 65536)
            big.settimeout(10)
            assert big.recv(64).startswith(b"HTTP/1.1 413")
        for _ in range(6):
            assert server.request("GET", "/readyz")[0] == 200
        time.sleep(1)
        with psycopg.connect(primary.url) as connection:
            open_transactions = connection.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = 'licensing' AND state LIKE 'idle in transaction%'"
            ).fetchone()
            written = connection.execute("SELECT count(*) FROM audit_events").fetchone()
        assert open_transactions == (0,)
        assert written is not None and written[0] <= 5
    finally:
        slow.close()
    assert "the register matches" in server.flask("audit", "verify")
