"""Console sessions the registry keeps: ended by signing out, by an operator's disable or reset,
by a password change, or by the person from their sessions page; a copy of the cookie then opens
nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from werkzeug.test import TestResponse

from licensing.models import ConsoleSession, db
from tests.conftest import Clock
from tests.console.conftest import (
    PASSWORD,
    Someone,
    csrf_token,
    english,
    post_form,
    sign_in,
)

NEW_PASSWORD = "juniper-lantern-orbit-93"


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another client holding a copy of `client`'s session cookie, as a thief would."""
    cookie = client.get_cookie("licensing_session")
    assert cookie is not None
    thief = english(app.test_client())
    thief.set_cookie("licensing_session", cookie.value)
    return thief


def end(client: FlaskClient, path: str) -> TestResponse:
    """Post one of the sessions page's buttons, with the page's form token."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/console/sessions")})


def test_a_copied_cookie_is_refused_after_sign_out(
    app: Flask, officer_client: FlaskClient, number: str
) -> None:
    thief = copy_of(app, officer_client)
    assert thief.get("/console/").status_code == 200  # a copy works while the session is open
    token = csrf_token(officer_client, "/console/")
    assert officer_client.post("/console/sign-out", data={"csrf_token": token}).status_code == 303
    assert thief.get("/console/").status_code == 302
    assert thief.get(f"/console/licences/{number}/amend").status_code == 302


@pytest.mark.parametrize("command", ["disable", "reset"])
def test_an_operators_disable_or_reset_ends_every_session(
    app: Flask, runner: FlaskCliRunner, officer: Someone, clock: Clock, command: str
) -> None:
    clients = [english(app.test_client()) for _ in range(2)]
    for client in clients:
        sign_in(client, officer, clock)
    thief = copy_of(app, clients[0])
    assert runner.invoke(args=["users", command, officer.name]).exit_code == 0
    for client in (*clients, thief):
        assert client.get("/console/").status_code == 302


def test_a_password_change_ends_every_session_and_the_new_one_signs_in(
    app: Flask, officer_client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    elsewhere = english(app.test_client())
    sign_in(elsewhere, officer, clock)
    thief = copy_of(app, officer_client)
    answer = post_form(
        officer_client,
        "/console/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "repeated": NEW_PASSWORD},
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/console/sign-in")
    for client in (officer_client, elsewhere, thief):
        assert client.get("/console/").status_code == 302
    fresh = english(app.test_client())
    refused = post_form(fresh, "/console/sign-in", {"login": officer.name, "password": PASSWORD})
    assert refused.status_code == 401
    sign_in(fresh, officer, clock, password=NEW_PASSWORD)


def test_a_password_change_needs_the_current_password_and_a_strong_new_one(
    officer_client: FlaskClient,
) -> None:
    wrong = post_form(
        officer_client,
        "/console/password",
        {"current": "not-my-password", "password": NEW_PASSWORD, "repeated": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "This is not your current password." in wrong.text
    weak = post_form(
        officer_client,
        "/console/password",
        {"current": PASSWORD, "password": "a" * 12, "repeated": "a" * 12},
    )
    assert weak.status_code == 422 and "are easy to guess" in weak.text
    assert officer_client.get("/console/").status_code == 200  # nothing ended


def test_the_sessions_page_lists_the_open_sessions_and_ends_one_or_all_others(
    app: Flask, officer: Someone, auditor_client: FlaskClient, clock: Clock
) -> None:
    clients = [english(app.test_client()) for _ in range(3)]
    for n, client in enumerate(clients):
        client.environ_base["HTTP_USER_AGENT"] = f"Browser-{n}"
        sign_in(client, officer, clock)
    page = clients[0].get("/console/sessions")
    assert page.status_code == 200
    assert all(f"Browser-{n}" in page.text for n in range(3)) and "This session" in page.text
    with app.app_context():
        ids = {s.agent: s.id for s in db.session.scalars(select(ConsoleSession))}
    # another person's session is not theirs to end
    other = ids[next(agent for agent in ids if not agent.startswith("Browser-"))]
    assert end(clients[0], f"/console/sessions/{other}/end").status_code == 404
    assert auditor_client.get("/console/").status_code == 200
    ended = end(clients[0], f"/console/sessions/{ids['Browser-1']}/end")
    assert ended.status_code == 303
    assert clients[1].get("/console/").status_code == 302
    assert "Browser-1" not in clients[0].get("/console/sessions").text
    assert end(clients[0], "/console/sessions/end-others").status_code == 303
    assert clients[2].get("/console/").status_code == 302
    assert clients[0].get("/console/").status_code == 200  # the one asking stays open
    mine = end(clients[0], f"/console/sessions/{ids['Browser-0']}/end")
    assert mine.headers["Location"].endswith("/console/sign-in")
    assert clients[0].get("/console/").status_code == 302


def test_ending_a_session_takes_the_form_token(
    app: Flask, officer_client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    other = english(app.test_client())
    sign_in(other, officer, clock)
    with app.app_context():
        first = db.session.scalars(select(ConsoleSession.id).order_by(ConsoleSession.id)).first()
    assert officer_client.post(f"/console/sessions/{first}/end").status_code == 400
    assert officer_client.post("/console/sessions/end-others").status_code == 400
    assert other.get("/console/").status_code == 200


@pytest.mark.parametrize("which", [2**31, 10**20])
def test_ending_a_session_id_no_column_holds_is_a_404(
    officer_client: FlaskClient, which: int
) -> None:
    # beyond a 32-bit integer (PostgreSQL) or even a 64-bit one (SQLite): no such session
    token = csrf_token(officer_client, "/console/sessions")
    answer = officer_client.post(f"/console/sessions/{which}/end", data={"csrf_token": token})
    assert answer.status_code == 404
    assert officer_client.get("/console/").status_code == 200


def test_a_session_records_its_use_at_most_once_a_minute(
    app: Flask, officer_client: FlaskClient, clock: Clock
) -> None:
    def seen() -> datetime:
        with app.app_context():
            return db.session.scalars(select(ConsoleSession.seen_at)).one()

    before = seen()
    clock.advance(seconds=20)
    assert officer_client.get("/console/").status_code == 200
    assert seen() == before
    clock.advance(seconds=41)
    assert officer_client.get("/console/").status_code == 200
    assert seen() == clock.now()


def test_the_cookie_holds_no_more_than_the_sessions_name(
    app: Flask, officer_client: FlaskClient
) -> None:
    with app.app_context():
        digest = db.session.scalars(select(ConsoleSession.digest)).one()
    cookie = officer_client.get_cookie("licensing_session")
    assert cookie is not None and digest not in cookie.value
