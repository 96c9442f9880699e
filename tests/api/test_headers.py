"""Security headers on every answer, and no-store on every answer to a request with credentials."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import API, issue

EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def assert_protected(response: TestResponse) -> None:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, name
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{API}/status", 200),
        ("GET", f"{API}/status/DM-2026-000404", 404),
        ("GET", f"{API}/status?page=zero", 422),
        ("DELETE", f"{API}/status", 405),
        ("GET", f"{API}/licences", 401),
        ("GET", f"{API}/audit/checkpoint", 200),
        ("GET", "/.well-known/jwks.json", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/docs", 200),
        ("GET", "/healthz", 200),
        ("GET", "/no/such/page", 404),
    ],
)
def test_every_answer_carries_the_security_headers(
    client: FlaskClient, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_protected(response)


def test_json_answers_may_load_nothing(client: FlaskClient) -> None:
    response = client.get(f"{API}/status")
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    )


def test_a_failure_carries_the_security_headers(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/failing")
    def failing() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/failing", headers={"Authorization": "Bearer x"})
    assert response.status_code == 500
    assert_protected(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_refusal_for_too_many_requests_carries_the_security_headers(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(LICENSING_RATELIMIT_PUBLIC="1 per minute").test_client()
    client.get(f"{API}/status")
    refused = client.get(f"{API}/status")
    assert refused.status_code == 429
    assert_protected(refused)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{API}/licences", 200),
        (f"{API}/licences/DM-2026-000404", 404),
        (f"{API}/audit/events", 200),
        (f"{API}/audit/checkpoint", 200),
        ("/.well-known/jwks.json", 200),  # the route's own max-age gives way
        (f"{API}/status", 200),
    ],
)
def test_answers_to_authenticated_requests_are_not_stored(
    client: FlaskClient, regulator: dict[str, str], path: str, status: int
) -> None:
    issue(client, regulator)
    response = client.get(path, headers=regulator)
    assert response.status_code == status
    assert response.headers["Cache-Control"] == "no-store"
    assert_protected(response)


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", ""])
def test_refused_credentials_are_not_stored_either(client: FlaskClient, authorization: str) -> None:
    response = client.get(f"{API}/licences", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"


def test_anonymous_answers_keep_their_own_caching(client: FlaskClient) -> None:
    response = client.get("/.well-known/jwks.json")
    assert response.headers["Cache-Control"] == "max-age=300"


def test_a_response_that_sets_its_own_policy_keeps_it(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    policy = "default-src 'self'; frame-ancestors 'none'"

    @app.get("/page")
    def page() -> tuple[str, int, dict[str, str]]:
        return "<p>page</p>", 200, {"Content-Security-Policy": policy}

    response = app.test_client().get("/page")
    assert response.headers["Content-Security-Policy"] == policy
    assert response.headers["X-Frame-Options"] == "DENY"
