"""Every `next` (the language switch, the console's sign-in) follows only a path on this site, and
refuses a control character with a 400 page, never a 500: in `Location` a line break would end
the header and begin another."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.console.conftest import PASSWORD, csrf_token, english, make_person

HOSTILE = ["/\r\nSet-Cookie:x=1", "/\nx", "/register\x00", "/\x7f", "/\x85", "/console/\t"]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_control_character_in_the_language_switch_is_a_400_page(
    client: FlaskClient, target: str
) -> None:
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Set-Cookie" not in response.headers
    assert "Traceback" not in response.text


def test_the_raw_request_of_the_finding_is_a_400_page(client: FlaskClient) -> None:
    response = client.get("/language/en?next=/%0d%0aSet-Cookie:x=1")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    ("target", "followed"),
    [("/register?q=a//b", "/register?q=a//b"), ("/licences/DM-2026-1", "/licences/DM-2026-1"),
     ("https://evil.example/", "/"), ("//evil.example", "/"), ("/\\evil.example", "/"),
     ("register", "/"), ("/" + "a" * 2001, "/"), ("", "/")],
)  # fmt: skip
def test_the_language_switch_follows_only_local_paths(
    client: FlaskClient, target: str, followed: str
) -> None:
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == followed


def _signed_in_with_next(
    app: Flask, clock: Clock, role: str, target: str
) -> tuple[FlaskClient, int, str]:
    """Sign someone in (with the code, for a regulator) posting `target` as `next` at each step;
    the client, the last status and where it went."""
    person = make_person(app, clock, "Aigerim" if role == "regulator" else "Dana", role)
    client = english(app.test_client())
    answer = client.post(
        "/console/sign-in",
        data={"login": person.name, "password": PASSWORD, "csrf_token": csrf_token(client),
              "next": target},
    )  # fmt: skip
    if person.totp and answer.status_code == 303:
        answer = client.post(
            "/console/sign-in/code",
            data={"code": person.code(clock), "next": target,
                  "csrf_token": csrf_token(client, "/console/sign-in/code")},
        )  # fmt: skip
    return client, answer.status_code, answer.headers.get("Location", "")


@pytest.mark.parametrize("role", ["auditor", "regulator"])
@pytest.mark.parametrize("target", ["/console/\r\nSet-Cookie:x=1", "/console/licences\x1b"])
def test_a_sign_in_posted_with_a_control_character_in_next_is_a_400_page(
    app: Flask, clock: Clock, role: str, target: str
) -> None:
    _, status, _ = _signed_in_with_next(app, clock, role, target)
    assert status == 400


@pytest.mark.parametrize(
    ("target", "followed"),
    [("/console/licences?status=suspended", "/console/licences?status=suspended"),
     ("/console/sign-out", "/console/"), ("/consolex", "/console/"), ("/register", "/console/"),
     ("https://evil.example/console", "/console/"), ("/console/\\evil", "/console/")],
)  # fmt: skip
def test_a_sign_in_goes_on_only_to_a_console_page(
    app: Flask, clock: Clock, target: str, followed: str
) -> None:
    client, status, location = _signed_in_with_next(app, clock, "auditor", target)
    assert status == 303
    assert location == followed
    assert client.get("/console/").status_code == 200
