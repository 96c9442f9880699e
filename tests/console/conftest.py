"""Fixtures the console's tests share: people with accounts, signed-in test clients, form tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from licensing.services import accounts
from tests.conftest import Clock
from tests.factories import issue

PASSWORD = "steppe-falcon-ferry-47"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


@dataclass
class Someone:
    name: str
    role: str
    totp: str | None

    def code(self, clock: Clock) -> str:
        assert self.totp
        return pyotp.TOTP(self.totp).at(clock.now())


def make_person(app: Flask, clock: Clock, name: str, role: str) -> Someone:
    with app.app_context():
        secret = accounts.create(
            name, f"{name.lower()}@gov.kz", role, app.config["LICENSING_SETUP_LINK"]
        )
        setup = accounts.setup_of(secret)
        assert setup is not None
        code = pyotp.TOTP(setup.totp_secret).at(clock.now()) if setup.totp_secret else None
        assert accounts.complete_setup(secret, PASSWORD, PASSWORD, code, 12)
    clock.advance(seconds=30)  # the set-up code is spent: the next sign-in needs the next one
    return Someone(name, role, setup.totp_secret)


def csrf_token(client: FlaskClient, path: str = "/console/sign-in") -> str:
    page = client.get(path)
    found = _TOKEN.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def sign_in(client: FlaskClient, person: Someone, clock: Clock, password: str = PASSWORD) -> None:
    token = csrf_token(client)
    answer = client.post(
        "/console/sign-in", data={"login": person.name, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text[:500]
    if person.totp:
        assert "/console/sign-in/code" in answer.headers["Location"]
        answer = client.post(
            "/console/sign-in/code",
            data={
                "code": person.code(clock),
                "csrf_token": csrf_token(client, "/console/sign-in/code"),
            },
        )
        assert answer.status_code == 303, answer.text[:500]
        clock.advance(seconds=30)
    assert client.get("/console/").status_code == 200


def post_form(client: FlaskClient, path: str, data: dict[str, Any]) -> TestResponse:
    """Post `data` with a valid form token, as the browser would from the page at `path`."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


def form_key(page: TestResponse) -> str:
    found = _FORM_KEY.search(page.text)
    assert found, page.text[:1000]
    return found.group(1)


@pytest.fixture
def officer(app: Flask, clock: Clock) -> Someone:
    return make_person(app, clock, "Aigerim", "regulator")


@pytest.fixture
def auditor_person(app: Flask, clock: Clock) -> Someone:
    return make_person(app, clock, "Dana", "auditor")


def english(client: FlaskClient) -> FlaskClient:
    """A client reading English pages (the default for a browser stating no language is Kazakh)."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return english(app.test_client())


@pytest.fixture
def officer_client(app: Flask, officer: Someone, clock: Clock) -> FlaskClient:
    client = english(app.test_client())
    sign_in(client, officer, clock)
    return client


@pytest.fixture
def second(app: Flask, clock: Clock) -> Someone:
    """A second regulator, for what one officer proposes and another decides."""
    return make_person(app, clock, "Berik", "regulator")


@pytest.fixture
def second_client(app: Flask, second: Someone, clock: Clock) -> FlaskClient:
    client = english(app.test_client())
    sign_in(client, second, clock)
    return client


@pytest.fixture
def auditor_client(app: Flask, auditor_person: Someone, clock: Clock) -> FlaskClient:
    client = english(app.test_client())
    sign_in(client, auditor_person, clock)
    return client


@pytest.fixture
def number(client: FlaskClient, regulator: dict[str, str]) -> str:
    """A freshly issued licence's number."""
    return str(issue(client, regulator)["number"])
