"""Failed sign-ins slow down the address they come from and the login they name, known or not,
and decay with time; a lock keeps guessers out, never an officer who knows password and code; an
operator sees locks and clears them; sign-in has a rate budget of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from werkzeug.test import TestResponse

from licensing.services import accounts
from tests.conftest import Clock
from tests.console.conftest import PASSWORD, Someone, csrf_token, english, make_person

WRONG = "not-the-password-9"


def attempt(client: FlaskClient, login: str, password: str, address: str) -> TestResponse:
    """A sign-in posted from `address`."""
    return client.post(
        "/console/sign-in",
        data={"login": login, "password": password, "csrf_token": csrf_token(client)},
        environ_overrides={"REMOTE_ADDR": address},
    )


def code(client: FlaskClient, person: Someone, clock: Clock, address: str) -> TestResponse:
    return client.post(
        "/console/sign-in/code",
        data={
            "code": person.code(clock),
            "csrf_token": csrf_token(client, "/console/sign-in/code"),
        },
        environ_overrides={"REMOTE_ADDR": address},
    )


def lock(client: FlaskClient, clock: Clock, login: str, addresses: list[str]) -> None:
    """Ten failures (each after the wait the one before asked for) lock the login."""
    for address in addresses:
        assert attempt(client, login, WRONG, address).status_code == 401
        clock.advance(seconds=61)


def test_a_locked_login_still_signs_in_with_password_and_code_from_a_fresh_address(
    app: Flask, client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    lock(client, clock, officer.name, ["10.0.0.66"] * 10)
    # the attacker's address is kept out, even with the right password
    refused = attempt(client, officer.name, PASSWORD, "10.0.0.66")
    assert refused.status_code == 401 and "try again in" in refused.text
    officers = english(app.test_client())
    answer = attempt(officers, officer.name, PASSWORD, "10.1.2.3")
    assert answer.status_code == 303 and "/console/sign-in/code" in answer.headers["Location"]
    assert code(officers, officer, clock, "10.1.2.3").status_code == 303
    assert officers.get("/console/").status_code == 200


def test_a_locked_login_without_a_second_factor_stays_locked(
    app: Flask, client: FlaskClient, auditor_person: Someone, clock: Clock
) -> None:
    lock(client, clock, auditor_person.name, [f"10.0.0.{n}" for n in range(10)])
    answer = attempt(client, auditor_person.name, PASSWORD, "10.1.2.3")
    assert answer.status_code == 401 and "try again in" in answer.text


def test_failures_decay_so_one_more_after_a_lock_does_not_lock_again(
    client: FlaskClient, auditor_person: Someone, clock: Clock
) -> None:
    lock(client, clock, auditor_person.name, ["10.0.0.66"] * 10)
    clock.advance(minutes=15)  # the lock is over
    assert attempt(client, auditor_person.name, WRONG, "10.0.0.66").status_code == 401
    clock.advance(seconds=10)  # the short wait six failures ask for, not another lock
    assert attempt(client, auditor_person.name, PASSWORD, "10.0.0.66").status_code == 303


class CountingHasher:
    """The registry's Argon2 hasher, counting the passwords it verifies."""

    def __init__(self, hasher: Any) -> None:
        self.hasher, self.verified = hasher, 0

    def verify(self, hash: str, password: str) -> bool:
        self.verified += 1
        return bool(self.hasher.verify(hash, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


@pytest.mark.parametrize("person", ["officer", "auditor_person"])
def test_known_and_unknown_logins_get_the_same_answers_for_the_same_work(
    request: pytest.FixtureRequest,
    client: FlaskClient,
    hasher: CountingHasher,
    clock: Clock,
    person: str,
) -> None:
    known: Someone = request.getfixturevalue(person)

    def answers(login: str) -> list[str]:
        before, said = hasher.verified, []
        for n in range(14):  # slowed after 3, locked after 10; each from an address of its own
            answer = attempt(client, login, WRONG, f"10.{len(login)}.0.{n}")
            assert answer.status_code == 401
            said.append(answer.text.split('id="sign-in-error">')[1].split("<")[0])
            clock.advance(seconds=1 if n < 4 else 61)
        assert hasher.verified - before == 14  # one Argon2 verification each, every time
        return said

    said = answers(known.name)
    assert said == answers("Nobody-" + known.name[:3])
    assert said[0] == "Those details are not right. Check them and try again."
    assert "try again in" in said[-1]


def test_an_address_failing_at_many_logins_must_wait_whatever_login_it_tries(
    app: Flask, client: FlaskClient, officer: Someone
) -> None:
    for login in ("Aibek", "Bolat", "aigerim@gov.kz.example"):
        assert attempt(client, login, WRONG, "10.9.9.9").status_code == 401
    refused = attempt(client, officer.name, PASSWORD, "10.9.9.9")
    assert refused.status_code == 401 and "try again in" in refused.text
    assert attempt(client, officer.name, PASSWORD, "10.1.2.3").status_code == 303


def locks(scope: str) -> float:
    return REGISTRY.get_sample_value("licensing_sign_in_locks_total", {"scope": scope}) or 0.0


def test_an_operator_sees_a_lock_and_clears_it(
    app: Flask,
    client: FlaskClient,
    auditor_person: Someone,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = app.test_cli_runner()
    before = locks("login")
    with caplog.at_level(logging.WARNING, logger="licensing.services.accounts"):
        lock(client, clock, "dana@GOV.kz", [f"10.0.0.{n}" for n in range(10)])
    assert locks("login") == before + 1
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "sign_in_locked"]
    assert record.account == "Dana" and record.scope == "login"  # type: ignore[attr-defined]
    assert "\tlocked\t" in runner.invoke(args=["users", "list"]).stdout
    assert attempt(client, "Dana", PASSWORD, "10.1.2.3").status_code == 401
    cleared = runner.invoke(args=["users", "unlock", "Dana"])
    assert cleared.exit_code == 0 and "unlocked Dana" in cleared.stderr
    assert "\tactive\t" in runner.invoke(args=["users", "list"]).stdout
    assert attempt(client, "Dana", PASSWORD, "10.1.2.3").status_code == 303
    assert runner.invoke(args=["users", "unlock", "Nobody"]).exit_code != 0
    assert runner.invoke(args=["users", "unlock"]).exit_code != 0


def test_an_operator_clears_a_locked_address(
    app: Flask, client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    before = locks("address")
    lock(client, clock, "whoever", ["10.0.0.66"] * 10)
    assert locks("address") == before + 1
    assert attempt(client, officer.name, PASSWORD, "10.0.0.66").status_code == 401
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "unlock", "--address", "10.0.0.66"]).exit_code == 0
    assert attempt(client, officer.name, PASSWORD, "10.0.0.66").status_code == 303


def test_sign_in_code_and_set_up_draw_on_a_rate_budget_of_their_own(
    make_app: Callable[..., Flask], clock: Clock
) -> None:
    app = make_app(LICENSING_RATELIMIT_SIGNIN="3 per minute")
    make_person(app, clock, "Aigerim", "regulator")
    client = english(app.test_client())
    for _ in range(3):
        assert attempt(client, "Aigerim", WRONG, "10.0.0.5").status_code == 401
    refused = attempt(client, "Aigerim", PASSWORD, "10.0.0.5")
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    assert client.get("/console/sign-in").status_code == 200  # the page itself still opens
    assert client.get("/").status_code == 200  # and the public budget is another one
    assert attempt(client, "Aigerim", PASSWORD, "10.0.0.6").status_code == 303
    for _ in range(3):
        client.get("/console/setup/guessed-link", environ_overrides={"REMOTE_ADDR": "10.0.0.7"})
    guessed = client.get(
        "/console/setup/guessed-link", environ_overrides={"REMOTE_ADDR": "10.0.0.7"}
    )
    assert guessed.status_code == 429
