from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import API, VALID_BIN, act, application, bearer, decision

ROUTES = [
    ("GET", "/licences", None),
    ("POST", "/licences", "issue"),
    ("GET", "/licences/{n}", None),
    ("PATCH", "/licences/{n}", "amend"),
    ("POST", "/licences/{n}/suspend", "suspend"),
    ("POST", "/licences/{n}/resume", "resume"),
    ("POST", "/licences/{n}/revoke", "revoke"),
    ("GET", "/licences/{n}/history", None),
]
# Who may call each route; the rest get 403 (with a token) or 401 (without).
ALLOWED = {
    ("GET", "/licences"): {"regulator", "auditor", "miner"},
    ("GET", "/licences/{n}"): {"regulator", "auditor", "miner"},
    ("GET", "/licences/{n}/history"): {"regulator", "auditor", "miner"},
}
WRITERS = {"regulator"}


def body_for(kind: str | None) -> dict[str, object] | None:
    if kind is None:
        return None
    if kind == "issue":
        return application()
    if kind == "amend":
        return {"capacity_mw": "20"}
    return decision(kind)


def call(
    client: FlaskClient,
    method: str,
    path: str,
    number: str,
    headers: dict[str, str],
    kind: str | None,
):  # type: ignore[no-untyped-def]
    return client.open(
        API + path.format(n=number),
        method=method,
        json=body_for(kind),
        headers={**headers, "If-Match": "*"},
    )


@pytest.mark.parametrize(("method", "path", "kind"), ROUTES)
@pytest.mark.parametrize("role", ["regulator", "auditor", "miner", "admin"])
def test_every_route_checks_the_role(
    client: FlaskClient, token: Callable[..., dict[str, str]], number: str,
    method: str, path: str, kind: str | None, role: str,
) -> None:  # fmt: skip
    if kind == "resume":
        act(client, token("regulator"), number, "suspend")
    headers = token(role, bin=VALID_BIN if role == "miner" else None)
    response = call(client, method, path, number, headers, kind)
    allowed = ALLOWED.get((method, path), WRITERS)
    if role in allowed:
        assert response.status_code in (200, 201), response.get_json()
    else:
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "kind"), ROUTES)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer lic_not-a-real-token", "Basic YWxpY2U6c2VjcmV0", "lic_no_scheme"],
)
def test_no_valid_token_is_401_with_a_challenge(
    client: FlaskClient,
    number: str,
    method: str,
    path: str,
    kind: str | None,
    authorization: str | None,
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = call(client, method, path, number, headers, kind)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["status"] == 401


def test_a_revoked_token_stops_working_at_once(app: Flask, client: FlaskClient) -> None:
    from licensing.services import tokens

    headers = bearer(app, "regulator", name="carol")
    assert client.get(f"{API}/licences", headers=headers).status_code == 200
    with app.app_context():
        assert tokens.revoke("carol")
    assert client.get(f"{API}/licences", headers=headers).status_code == 401


def test_an_unauthorised_write_is_refused_before_its_body_is_read(
    client: FlaskClient, token: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        f"{API}/licences",
        data="not json",
        headers={**token("auditor"), "Content-Type": "text/plain"},
    )
    assert response.status_code == 403
