"""Signing in to the console: password, second factor, sessions, form tokens."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.console.conftest import PASSWORD, Someone, csrf_token, post_form, sign_in


def test_a_regulator_signs_in_with_password_then_code(
    client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    assert client.get("/console/").status_code == 302  # to the sign-in page
    sign_in(client, officer, clock)
    page = client.get("/console/")
    assert "Aigerim" in page.text and page.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_http_only_strict_and_secure_over_https(
    app: Flask, officer: Someone, clock: Clock
) -> None:
    client = app.test_client()
    sign_in(client, officer, clock)
    cookie = client.get_cookie("licensing_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    assert not cookie.secure
    https = app.test_client()
    https.get("/console/sign-in", base_url="https://localhost")
    assert https.get_cookie("licensing_session").secure  # type: ignore[union-attr]


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: FlaskClient, officer: Someone
) -> None:
    for login in ("Aigerim", "nobody"):
        answer = post_form(client, "/console/sign-in", {"login": login, "password": "nope-nope"})
        assert answer.status_code == 401
        assert "Those details are not right" in answer.text
    assert client.get("/console/").status_code == 302


def test_a_wrong_or_replayed_code_is_refused(
    client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    post_form(client, "/console/sign-in", {"login": "Aigerim", "password": PASSWORD})
    answer = post_form(client, "/console/sign-in/code", {"code": "000000"})
    assert answer.status_code == 401
    code = officer.code(clock)
    assert post_form(client, "/console/sign-in/code", {"code": code}).status_code == 303
    other = client.application.test_client()
    post_form(other, "/console/sign-in", {"login": "Aigerim", "password": PASSWORD})
    assert post_form(other, "/console/sign-in/code", {"code": code}).status_code == 401


def test_repeated_failures_make_the_next_attempt_wait(
    client: FlaskClient, officer: Someone
) -> None:
    for _ in range(3):
        post_form(client, "/console/sign-in", {"login": "Aigerim", "password": "nope-nope"})
    answer = post_form(client, "/console/sign-in", {"login": "Aigerim", "password": PASSWORD})
    assert answer.status_code == 401 and "try again in" in answer.text


def test_forms_without_or_with_a_forged_token_are_refused(
    client: FlaskClient, officer: Someone
) -> None:
    data = {"login": "Aigerim", "password": PASSWORD}
    assert client.post("/console/sign-in", data=data).status_code == 400
    forged = {**data, "csrf_token": csrf_token(client)[:-4] + "AAAA"}
    assert client.post("/console/sign-in", data=forged).status_code == 400


def test_an_idle_session_ends_and_so_does_an_old_one(
    client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    sign_in(client, officer, clock)
    clock.advance(minutes=31)
    assert client.get("/console/").status_code == 302
    sign_in(client, officer, clock)
    for _ in range(25):  # busy, but for longer than a session may last
        clock.advance(minutes=29)
        client.get("/console/")
    assert client.get("/console/").status_code == 302


def test_a_cookie_signed_with_another_secret_is_not_a_session(
    make_app: Callable[..., Flask], officer: Someone, clock: Clock
) -> None:
    ours = make_app(SECRET_KEY="k" * 40)
    theirs = make_app(SECRET_KEY="x" * 40)
    client = theirs.test_client()
    sign_in(client, officer, clock)
    cookie = client.get_cookie("licensing_session")
    assert cookie is not None
    stranger = ours.test_client()
    stranger.set_cookie("licensing_session", cookie.value)
    assert stranger.get("/console/").status_code == 302


def test_signing_out_ends_the_session(client: FlaskClient, officer: Someone, clock: Clock) -> None:
    sign_in(client, officer, clock)
    token = csrf_token(client, "/console/")
    assert client.post("/console/sign-out", data={"csrf_token": token}).status_code == 303
    assert client.get("/console/").status_code == 302


def test_set_up_through_the_page_refuses_a_common_password_next_to_the_field(
    app: Flask, client: FlaskClient, runner
) -> None:
    link = runner.invoke(
        args=["users", "create", "--role", "auditor", "--name", "Dana", "--email", "d@gov.kz"]
    ).stdout.strip()
    path = link.removeprefix("http://localhost:5000")
    answer = post_form(client, path, {"password": "password1234", "repeated": "password1234"})
    assert answer.status_code == 422
    assert 'id="password-error"' in answer.text and "too common" in answer.text
    answer = post_form(client, path, {"password": PASSWORD, "repeated": PASSWORD})
    assert answer.status_code == 303
    assert client.get(path).status_code == 404  # the link is spent


def test_the_console_speaks_the_readers_language(client: FlaskClient, officer: Someone) -> None:
    for language, title in (
        ("kk", "Консольге кіру"),
        ("ru", "Вход в консоль"),
        ("en", "Sign in to"),
    ):
        page = client.get("/console/sign-in", headers={"Accept-Language": language})
        assert f'<html lang="{language}">' in page.text and title in page.text
    answer = client.post(
        "/console/sign-in",
        data={"login": "Aigerim", "password": "nope-nope", "csrf_token": csrf_token(client)},
        headers={"Accept-Language": "ru"},
    )
    assert "Данные неверны" in answer.text


def test_the_account_rules_messages_are_the_ones_the_catalogues_translate() -> None:
    from licensing.domain import passwords
    from licensing.web.console.forms import ACCOUNT_MESSAGES

    assert {passwords.TOO_COMMON, passwords.TOO_PERSONAL} <= set(ACCOUNT_MESSAGES)
