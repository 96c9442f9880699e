"""/docs serves our own page and the few Swagger UI files it loads, under a strict policy."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient


def policy(client: FlaskClient) -> dict[str, list[str]]:
    header = client.get("/docs").headers["Content-Security-Policy"]
    return {
        name: values for name, *values in (directive.split() for directive in header.split(";"))
    }


def test_the_page_loads_its_assets_and_the_registry_spec(client: FlaskClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == [
        "/docs/assets/docs.js",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
    ]
    for path in assets:
        with client.get(path) as asset:
            assert asset.status_code == 200, path
            assert asset.mimetype in {"text/javascript", "text/css"}
    assert 'data-spec-url="/openapi.json"' in html
    assert "petstore" not in html
    with client.get("/docs/assets/docs.js") as initializer:
        assert b"SwaggerUIBundle" in initializer.data and b"petstore" not in initializer.data


def test_the_page_has_no_inline_script(client: FlaskClient) -> None:
    html = client.get("/docs").get_data(as_text=True)
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


def test_the_page_runs_under_a_strict_policy(client: FlaskClient) -> None:
    directives = policy(client)
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert not [v for values in directives.values() for v in values if "unsafe" in v]


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "index.j2",
        "swagger-initializer.js",
        "oauth2-redirect.html",
        "swagger-ui-bundle.js.map",
        "swagger-ui-es-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "../__init__.py",
        "%2e%2e/__init__.py",
        "templates/docs.html",
        "",
    ],
)
def test_nothing_else_is_served_under_the_assets(client: FlaskClient, path: str) -> None:
    response = client.get(f"/docs/assets/{path}")
    assert response.status_code == 404
