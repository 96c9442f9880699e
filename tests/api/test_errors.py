from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.services import licences
from tests.factories import API, application, issue, written

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.mimetype == "application/problem+json"  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert set(body) >= PROBLEM_KEYS and body["status"] == status
    assert "Traceback" not in response.get_data(as_text=True)  # type: ignore[attr-defined]
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("", "application/json", 400),
        ('{"holder_name": "x"', "application/json", 400),
        ("holder_name=x", "application/x-www-form-urlencoded", 415),
        ("<licence/>", "application/xml", 415),
        ('{"holder_name": "x"}', "text/plain", 415),
        ('{"holder_name": "x"}', None, 415),
        ("[1, 2]", "application/json", 422),
        ('"a string"', "application/json", 422),
        ("null", "application/json", 422),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused(
    app: Flask,
    client: FlaskClient,
    regulator: dict[str, str],
    data: str,
    content_type: str | None,
    status: int,
) -> None:
    headers = {**regulator, **({"Content-Type": content_type} if content_type else {})}
    assert_problem(client.post(f"{API}/licences", data=data, headers=headers), status)
    assert written(app)[0] == 0


def test_a_body_over_one_mebibyte_is_413(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    huge = application(site_address="x" * (1024 * 1024))
    assert_problem(client.post(f"{API}/licences", json=huge, headers=regulator), 413)
    assert written(app)[0] == 0


def test_an_unknown_api_path_is_a_404_problem(client: FlaskClient) -> None:
    assert_problem(client.get(f"{API}/permits"), 404)


def test_a_wrong_method_is_405_with_allow(client: FlaskClient, regulator: dict[str, str]) -> None:
    response = client.delete(f"{API}/licences", headers=regulator)
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_an_unknown_licence_is_a_404_problem(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    body = assert_problem(client.get(f"{API}/licences/DM-2026-000404", headers=regulator), 404)
    assert "DM-2026-000404" in str(body["detail"])


def test_a_crash_is_a_500_problem_logged_with_the_request_id(
    app: Flask, client: FlaskClient, regulator: dict[str, str],
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(licences, "find", explode)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"{API}/licences", headers={**regulator, "X-Request-ID": "req-42"})
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    ours = response.headers["X-Request-ID"]
    assert body["request_id"] == ours != "req-42"
    assert response.headers["X-Client-Request-ID"] == "req-42"
    crash = [r for r in caplog.records if r.exc_info]
    assert crash and crash[0].request_id == ours  # type: ignore[attr-defined]
    assert crash[0].client_request_id == "req-42"  # type: ignore[attr-defined]
    assert "secret internals" in caplog.text


def test_a_failure_inside_a_write_leaves_no_row(
    app: Flask, client: FlaskClient, regulator: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from licensing.services import events

    app.config["PROPAGATE_EXCEPTIONS"] = False
    number = issue(client, regulator)["number"]

    def broken_append(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(events, "append", broken_append)
    assert client.post(f"{API}/licences", json=application(), headers=regulator).status_code == 500
    assert (
        client.patch(
            f"{API}/licences/{number}",
            json={"capacity_mw": "99"},
            headers={**regulator, "If-Match": '"1"'},
        ).status_code
        == 500
    )
    monkeypatch.undo()
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert (licence["capacity_mw"], licence["version"]) == ("12.5", 1)
    assert written(app)[0] == 1
    # the serial given out in the failed transaction was rolled back too
    assert issue(client, regulator)["number"] == "DM-2026-000002"


def test_request_ids_are_the_registrys_own_and_a_clients_is_echoed_beside(
    client: FlaskClient,
) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a"})
    assert len(given.headers["X-Request-ID"]) == 32 and given.headers["X-Request-ID"] != "lb-7f3a"
    assert given.headers["X-Client-Request-ID"] == "lb-7f3a"
    for odd_id in ("<script>", "-starts-with-a-dash", "x" * 129):
        odd = client.get("/healthz", headers={"X-Request-ID": odd_id})
        assert len(odd.headers["X-Request-ID"]) == 32
        assert "X-Client-Request-ID" not in odd.headers


def test_a_clients_request_id_never_reaches_the_trail(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    claimed = "cli-0123456789abcdef0123456789abcdef"  # what a CLI change would carry
    response = client.post(
        f"{API}/licences", json=application(), headers={**regulator, "X-Request-ID": claimed}
    )
    assert response.status_code == 201
    history = client.get(
        f"{API}/licences/{response.get_json()['number']}/history", headers=regulator
    ).get_json()
    assert history["items"][0]["request_id"] == response.headers["X-Request-ID"] != claimed


def test_control_characters_in_text_are_refused(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    response = client.post(
        f"{API}/licences", json=application(holder_name="ТОО\x00«Тест»"), headers=regulator
    )
    assert response.status_code == 422 and "holder_name" in response.get_json()["errors"]
    surrogate = json.dumps(application(site_address="X")).replace('"X"', '"\\ud800"')
    response = client.post(
        f"{API}/licences", data=surrogate, headers={**regulator, "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "site_address" in response.get_json()["errors"]
    assert written(app) == (0, 0)


@pytest.mark.parametrize(
    "path", ["/api/v1/status/DM%00", "/api/v1/status?q=a%00b", "/healthz?x=%00"]
)
def test_a_nul_in_the_address_is_400(client: FlaskClient, path: str) -> None:
    body = assert_problem(client.get(path), 400)
    assert "NUL" in str(body["detail"])


def test_a_database_that_cannot_be_reached_is_a_503_on_reads_and_writes(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    from tests.conftest import POSTGRES_URL

    lost = (
        "postgresql://127.0.0.1:1/licensing"
        if POSTGRES_URL
        else f"sqlite:///{tmp_path}/no/such/folder/licensing.sqlite"
    )
    app = make_app(LICENSING_DATABASE_URL=lost, PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()
    for response in (
        client.get(f"{API}/status"),
        client.get(f"{API}/status/DM-2026-000001"),
        client.post(
            f"{API}/licences", json=application(), headers={"Authorization": "Bearer lic_x"}
        ),
    ):
        body = assert_problem(response, 503)
        assert response.headers["Retry-After"] and "nothing was written" in body["detail"]
    assert client.get("/readyz").status_code == 503
