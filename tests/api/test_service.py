from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import API, issue


def test_liveness_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok"}


def test_readiness_fails_without_a_schema(make_app: object, tmp_path: object) -> None:
    app = make_app(LICENSING_DATABASE_URL=f"sqlite:///{tmp_path}/empty.sqlite")  # type: ignore[operator]
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"


def test_openapi_documents_every_route_with_its_schemas_and_security(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    paths = spec["paths"]
    for path in (
        "/api/v1/licences", "/api/v1/licences/{number}", "/api/v1/licences/{number}/suspend",
        "/api/v1/licences/{number}/resume", "/api/v1/licences/{number}/revoke",
        "/api/v1/licences/{number}/history", "/api/v1/status", "/api/v1/status/{number}",
        "/api/v1/audit/events", "/api/v1/audit/verify", "/api/v1/audit/checkpoint",
        "/.well-known/jwks.json", "/healthz", "/readyz",
    ):  # fmt: skip
        assert path in paths, path
    issue_op = paths["/api/v1/licences"]["post"]
    assert issue_op["security"] == [{"bearerAuth": []}]
    assert "Application" in issue_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = spec["components"]["schemas"]
    assert "until" in schemas["Suspension"]["required"]
    assert schemas["Application"]["properties"]["subtype"]["enum"] == ["I", "II"]
    assert "security" not in paths["/api/v1/status"]["get"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    events = paths["/api/v1/audit/events"]["get"]
    assert set(events["responses"]["200"]["content"]) == {
        "application/json", "text/csv", "application/x-ndjson",
    }  # fmt: skip
    assert {p["name"] for p in events["parameters"]} >= {"since", "until", "after_seq", "format"}
    assert (
        "application/jose"
        in paths["/api/v1/audit/checkpoint"]["get"]["responses"]["200"]["content"]
    )


def test_interactive_docs_are_served_without_the_internet(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and b'id="swagger-ui"' in page.data
    with client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and asset.mimetype == "text/javascript"


def test_history_of_an_unknown_licence_is_404(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    issue(client, regulator)
    assert (
        client.get(f"{API}/licences/DM-2026-000404/history", headers=regulator).status_code == 404
    )
