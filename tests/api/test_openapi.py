from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    return client.get("/openapi.json").get_json()  # type: ignore[no-any-return]


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]


def test_every_error_is_documented_as_a_problem(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        assert "default" not in operation["responses"], (method, path)
        for status, response in operation["responses"].items():
            if int(status) >= 400 and status != "414":
                schema = response["content"][PROBLEM]["schema"]["$ref"]
                expected = "ValidationProblem" if status == "422" else "Problem"
                assert schema == f"#/components/schemas/{expected}", (method, path, status)
                assert set(response["content"]) == {PROBLEM}


def test_a_validation_problem_maps_fields_to_messages(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["ValidationProblem"]
    assert "errors" in schema["required"]
    assert schema["properties"]["errors"]["additionalProperties"]["items"]["type"] == "string"


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        (
            "post",
            "/api/v1/licences",
            {"201", "400", "401", "403", "413", "415", "422", "500", "503"},
        ),
        ("get", "/api/v1/licences/{number}", {"200", "304", "401", "403", "404", "500", "503"}),
        ("patch", "/api/v1/licences/{number}", {"409", "412", "428", "404", "422", "401"}),
        ("post", "/api/v1/licences/{number}/suspend", {"409", "412", "404", "422", "403"}),
        ("get", "/api/v1/status", {"200", "400", "422", "429", "500", "503"}),
        ("get", "/api/v1/status/{number}", {"200", "404", "429", "500", "503"}),
        ("get", "/api/v1/audit/events", {"200", "401", "403", "406", "422"}),
        ("get", "/api/v1/audit/checkpoint", {"200", "429", "500", "503"}),
        ("get", "/healthz", {"200", "500", "503"}),
    ],
)
def test_each_operation_declares_the_statuses_it_can_give(
    spec: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    declared = set(spec["paths"][path][method]["responses"])
    assert statuses <= declared
    if "security" not in spec["paths"][path][method]:
        assert not {"401", "403"} & declared
    if path == "/healthz":
        assert "429" not in declared


def test_conditional_and_idempotency_headers_are_declared_where_honoured(
    spec: dict[str, Any],
) -> None:
    def headers(method: str, path: str) -> dict[str, bool]:
        parameters = spec["paths"][path][method].get("parameters", [])
        return {p["name"]: p["required"] for p in parameters if p["in"] == "header"}

    assert headers("patch", "/api/v1/licences/{number}") == {"If-Match": True}
    assert headers("post", "/api/v1/licences/{number}/revoke") == {
        "If-Match": False,
        "Idempotency-Key": False,
    }
    assert headers("post", "/api/v1/licences") == {"Idempotency-Key": False}
    assert headers("get", "/api/v1/licences/{number}") == {"If-None-Match": False}


def test_issuing_links_to_every_operation_on_the_new_licence(spec: dict[str, Any]) -> None:
    ids = {operation["operationId"] for _, _, operation in operations(spec)}
    assert len(ids) == len(operations(spec))
    links = spec["paths"]["/api/v1/licences"]["post"]["responses"]["201"]["links"]
    targets = {link["operationId"]: link["parameters"] for link in links.values()}
    assert set(targets) <= ids
    by_id = {
        operation["operationId"]: (method, path) for method, path, operation in operations(spec)
    }
    assert {by_id[target] for target in targets} == {
        ("get", "/api/v1/licences/{number}"),
        ("patch", "/api/v1/licences/{number}"),
        ("post", "/api/v1/licences/{number}/suspend"),
        ("post", "/api/v1/licences/{number}/resume"),
        ("post", "/api/v1/licences/{number}/revoke"),
        ("get", "/api/v1/licences/{number}/history"),
        ("get", "/api/v1/status/{number}"),
    }
    assert all(p["number"] == "$response.body#/number" for p in targets.values())
    assert targets["patch_licences_licence"]["header.If-Match"] == "$response.header.ETag"


@pytest.mark.parametrize("path", ["/api/v1/status/{number}", "/api/v1/status/{number}/statement"])
def test_public_views_and_statements_declare_their_cache_headers(
    spec: dict[str, Any], path: str
) -> None:
    responses = spec["paths"][path]["get"]["responses"]
    for status in ("200", "304"):
        assert {"ETag", "Cache-Control"} <= set(responses[status]["headers"]), status
