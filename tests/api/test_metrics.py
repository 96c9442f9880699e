"""/metrics: readable only by whom LICENSING_METRICS_ALLOW names; counts by route rule, never by
raw path; and the JSON request log, which never carries a token."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask

from tests.factories import API, act, bearer, issue

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a Prometheus exposition, 0 when absent."""
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', series))
        if series.split("{")[0] == name and found == labels:
            return float(value)
    return 0.0


def test_metrics_are_nobodys_by_default(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=bearer(app, "admin")).status_code == 404


def test_metrics_are_read_from_allowed_networks_or_with_an_allowed_role(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_METRICS_ALLOW="127.0.0.0/8, role:admin")
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    admin = bearer(app, "admin")
    assert client.get("/metrics", headers=admin, environ_base=OUTSIDE).status_code == 200
    auditor = bearer(app, "auditor")
    assert client.get("/metrics", headers=auditor, environ_base=OUTSIDE).status_code == 404


def test_requests_are_counted_by_route_rule_and_changes_by_action(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_METRICS_ALLOW="127.0.0.1", LICENSING_RATELIMIT_PUBLIC="3 per minute")
    client = app.test_client()
    regulator = bearer(app, "regulator")
    before = client.get("/metrics").get_data(as_text=True)
    number = issue(client, regulator)["number"]
    assert act(client, regulator, number, "suspend").status_code == 200
    statuses = [client.get(f"{API}/status/{number}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    after = client.get("/metrics").get_data(as_text=True)

    route = "/api/v1/status/<number>"
    lookups = {"method": "GET", "route": route, "status": "200"}
    assert (
        sample(after, "licensing_http_requests_total", **lookups)
        - sample(before, "licensing_http_requests_total", **lookups)
        == 3
    )
    assert number not in after  # raw paths never become series
    latency = sample(after, "licensing_http_request_duration_seconds_count", **lookups)
    assert latency >= 3
    for action in ("issue", "suspend"):
        assert (
            sample(after, "licensing_audit_events_total", action=action)
            - sample(before, "licensing_audit_events_total", action=action)
            == 1
        )
    refused = "licensing_rate_limit_refusals_total"
    assert sample(after, refused) - sample(before, refused) == 1
    assert sample(after, "licensing_chain_head_seq") == 2
    assert sample(after, "licensing_database_up") == 1
    assert "licensing_db_pool_connections_in_use" in after


def test_json_logs_have_one_line_per_request_and_never_the_token(
    make_app: Callable[..., Flask], capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(LICENSING_LOG_FORMAT="json")
    client = app.test_client()
    regulator = bearer(app, "regulator")
    secret = regulator["Authorization"].split()[1]
    capsys.readouterr()
    response = client.get(
        f"{API}/licences?q=secret-search", headers={**regulator, "X-Request-ID": "trace-42"}
    )
    assert response.status_code == 200
    logged = capsys.readouterr().err
    lines = [json.loads(line) for line in logged.splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["client_request_id"] == "trace-42"
    assert (line["method"], line["route"], line["status"], line["role"]) == (
        "GET",
        "/api/v1/licences",
        200,
        "regulator",
    )
    assert line["duration_ms"] > 0
    assert secret not in logged and "secret-search" not in logged


def test_text_logs_carry_no_request_lines(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert app.test_client().get("/healthz").status_code == 200
    assert capsys.readouterr().err == ""
