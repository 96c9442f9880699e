"""OPTIONS on the API answers as the API does: 204 with the route's methods in `Allow`, no body
and no page; an unknown path is a 404 problem; and no CORS header opens it to other sites."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

PREFLIGHT = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}


@pytest.mark.parametrize(
    ("path", "methods"),
    [("/api/v1/licences", {"GET", "HEAD", "POST", "OPTIONS"}),
     ("/api/v1/licences/DM-2026-000001", {"GET", "HEAD", "PATCH", "OPTIONS"}),
     ("/api/v1/licences/DM-2026-000001/revoke", {"POST", "OPTIONS"}),
     ("/api/v1/status/DM-2026-000001", {"GET", "HEAD", "OPTIONS"}),
     ("/openapi.json", {"GET", "HEAD", "OPTIONS"}),
     ("/.well-known/jwks.json", {"GET", "HEAD", "OPTIONS"}),
     ("/.well-known/security.txt", {"GET", "HEAD", "OPTIONS"}),
     ("/metrics", {"GET", "HEAD", "OPTIONS"}),
     ("/healthz", {"GET", "HEAD", "OPTIONS"})],
)  # fmt: skip
def test_options_answers_204_with_the_methods_and_nothing_else(
    client: FlaskClient, path: str, methods: set[str]
) -> None:
    response = client.options(path, headers=PREFLIGHT)
    assert response.status_code == 204
    assert {m.strip() for m in response.headers["Allow"].split(",")} == methods
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert not [name for name, _ in response.headers if name.startswith("Access-Control")]


def test_options_on_no_route_of_the_api_is_a_404_problem(client: FlaskClient) -> None:
    response = client.options("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_no_answer_of_the_api_allows_another_site_to_read_it(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    for path in ("/api/v1/licences", "/api/v1/status", "/openapi.json"):
        response = client.get(path, headers={**regulator, "Origin": "https://evil.example"})
        assert response.status_code == 200
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Credentials" not in response.headers
