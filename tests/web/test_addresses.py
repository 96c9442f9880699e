"""The registry's absolute addresses come from LICENSING_BASE_URL, never from the request's Host;
with LICENSING_TRUSTED_HOSTS, a request for another host is refused (400), as a problem on the
API and as a page elsewhere."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from flask import Flask

from licensing.config import ConfigError, load
from licensing.web.qr import qr_image
from tests.factories import bearer, issue

BASE = "https://licensing.example.kz"
EN = {"Accept": "text/html", "Accept-Language": "en"}


def test_the_qr_code_of_a_licence_names_the_base_url_whatever_host_was_asked(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_BASE_URL=BASE + "/")
    client = app.test_client()
    number = issue(client, bearer(app, "regulator"))["number"]
    page = client.get(f"/licences/{number}", headers={**EN, "Host": "evil.example"})
    assert page.status_code == 200
    image = re.search(r'<img class="qr" src="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    code = client.get(image, headers={"Host": "evil.example"})
    assert code.status_code == 200 and code.mimetype == "image/svg+xml"
    assert code.data == qr_image.__wrapped__(f"{BASE}/licences/{number}")  # drawn anew
    assert code.data != qr_image.__wrapped__(f"http://evil.example/licences/{number}")


def test_a_base_url_with_a_path_prefixes_every_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(LICENSING_BASE_URL="https://gov.example.kz/licensing")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--role", "auditor", "--name", "Dana", "--email", "d@gov.kz"]
    )
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"https://gov\.example\.kz/licensing/console/setup/[A-Za-z0-9_-]+", result.stdout.strip()
    )


@pytest.mark.parametrize(
    "value",
    ["licensing.example.kz", "ftp://licensing.example.kz", "https://", "https://a.kz/?x=1",
     "https://user@a.kz", "https://a.kz/#top", "https://a.kz/a b", "https://a.kz:99999"],
)  # fmt: skip
def test_a_base_url_that_is_not_an_http_address_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigError, match="BASE_URL"):
        load("/i", {"LICENSING_BASE_URL": value})


def test_the_log_origin_follows_the_base_url() -> None:
    assert load("/i", {"LICENSING_BASE_URL": BASE})["LICENSING_LOG"].origin == (
        "licensing.example.kz/licensing"
    )


def test_a_server_started_without_a_base_url_says_so(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        make_app(TESTING=False)
    assert any("LICENSING_BASE_URL is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        make_app(TESTING=False, LICENSING_BASE_URL=BASE)
        make_app()  # tests and development (debug) are not warned
    assert not any("LICENSING_BASE_URL" in r.getMessage() for r in caplog.records)


@pytest.fixture
def guarded(make_app: Callable[..., Flask]) -> Flask:
    return make_app(
        LICENSING_BASE_URL=BASE, LICENSING_TRUSTED_HOSTS="licensing.example.kz, .gov.kz"
    )


@pytest.mark.parametrize("path", ["/api/v1/status/DM-2026-000001", "/api/v1/licences",
                                  "/healthz", "/openapi.json", "/api/nowhere"])  # fmt: skip
def test_the_api_refuses_a_host_it_does_not_trust_with_a_problem(guarded: Flask, path: str) -> None:
    response = guarded.test_client().get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 400
    assert "host" in response.json["detail"]


@pytest.mark.parametrize("path", ["/", "/register", "/licences/DM-2026-000001",
                                  "/console/sign-in", "/nowhere"])  # fmt: skip
def test_the_pages_refuse_a_host_they_do_not_trust_with_a_page(guarded: Flask, path: str) -> None:
    client = guarded.test_client()
    response = client.get(path, headers={**EN, "Host": "evil.example"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "The request could not be read" in response.text
    assert "evil.example" not in response.text
    posted = client.post("/console/sign-in", headers={**EN, "Host": "evil.example:443"})
    assert posted.status_code == 400


@pytest.mark.parametrize("host", ["licensing.example.kz", "licensing.example.kz:8443",
                                  "portal.gov.kz", "LICENSING.Example.KZ", "PORTAL.GOV.KZ",
                                  "Licensing.example.kz:8443", "licensing.example.kz.",
                                  "licensing.example.kz.:8443", "Portal.Gov.Kz."])  # fmt: skip
def test_the_trusted_hosts_are_answered(guarded: Flask, host: str) -> None:
    client = guarded.test_client()
    assert client.get("/", headers={**EN, "Host": host}).status_code == 200
    assert client.get("/api/v1/reason-codes", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["a..b", "a" * 64 + ".kz"])
@pytest.mark.parametrize("path", ["/", "/console/sign-in", "/register"])
def test_a_page_asked_for_with_a_malformed_host_is_a_400_not_a_500(
    make_app: Callable[..., Flask], host: str, path: str
) -> None:
    # Werkzeug refuses such a Host (BadHost) before routing, whatever the trusted hosts are
    client = make_app().test_client()
    answer = client.get(path, headers={**EN, "Host": host})
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "The request could not be read" in answer.text


@pytest.mark.parametrize("host", ["a..b", "a" * 64 + ".kz"])
def test_the_api_asked_for_with_a_malformed_host_answers_a_problem(
    make_app: Callable[..., Flask], host: str
) -> None:
    answer = make_app().test_client().get("/api/v1/reason-codes", headers={"Host": host})
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    assert answer.json["status"] == 400


@pytest.mark.parametrize(
    "host",
    ["EVIL.example", "licensing.example.kz..", "Evil.Example.", "LICENSING.EXAMPLE.KZ.EVIL",
     "licensing.example.kz.evil."],
)  # fmt: skip
def test_hosts_made_plain_are_still_refused_when_they_are_not_trusted(
    guarded: Flask, host: str
) -> None:
    answer = guarded.test_client().get("/api/v1/reason-codes", headers={"Host": host})
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"


def test_a_trusted_host_written_in_capitals_or_with_the_final_dot_is_trusted(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_TRUSTED_HOSTS="Licensing.Example.KZ.")
    answer = app.test_client().get("/api/v1/reason-codes", headers={"Host": "licensing.example.kz"})
    assert answer.status_code == 200


def test_a_forwarded_host_in_capitals_is_trusted_behind_a_trusted_proxy(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_TRUSTED_HOSTS="licensing.example.kz", LICENSING_TRUSTED_PROXIES="1")
    answer = app.test_client().get(
        "/api/v1/reason-codes",
        headers={"Host": "10.0.0.5", "X-Forwarded-Host": "LICENSING.EXAMPLE.KZ."},
    )
    assert answer.status_code == 200


def test_a_trusted_host_that_is_not_a_host_name_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        load("/i", {"LICENSING_TRUSTED_HOSTS": "licensing.example.kz/admin"})
