"""`flask --app licensing users ...`: accounts for people, with one-time set-up links."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from licensing.services import accounts
from licensing.services.accounts import SignInRefused
from tests.conftest import Clock

PASSWORD = "steppe-falcon-ferry-47"


def create(runner: FlaskCliRunner, role: str = "regulator", name: str = "Aigerim") -> str:
    result = runner.invoke(
        args=["users", "create", "--role", role, "--name", name, "--email", f"{name}@gov.kz"]
    )
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    assert link.startswith("http://localhost:5000/console/setup/")
    return link.rsplit("/", 1)[1]


def set_up(app: Flask, secret: str, clock: Clock) -> str | None:
    with app.app_context():
        setup = accounts.setup_of(secret)
        assert setup is not None
        code = pyotp.TOTP(setup.totp_secret).at(clock.now()) if setup.totp_secret else None
        assert accounts.complete_setup(secret, PASSWORD, PASSWORD, code, 12)
        return setup.totp_secret


def test_a_regulator_sets_up_once_and_signs_in_with_password_and_a_fresh_code(
    app: Flask, runner: FlaskCliRunner, clock: Clock
) -> None:
    secret = create(runner)
    totp = set_up(app, secret, clock)
    assert totp
    policy = app.config["LICENSING_SIGNIN_POLICY"]
    with app.app_context():
        assert accounts.setup_of(secret) is None  # the link is spent
        half = accounts.check_password("aigerim@GOV.kz", PASSWORD, policy)
        assert half.needs_totp
        with pytest.raises(SignInRefused):  # the code used at set-up is spent too
            accounts.check_code(half, pyotp.TOTP(totp).at(clock.now()), policy)
        clock.advance(seconds=30)
        person = accounts.check_code(half, pyotp.TOTP(totp).at(clock.now()), policy)
        assert person.actor.name == "Aigerim" and person.actor.role == "regulator"
        with pytest.raises(SignInRefused):
            accounts.check_code(half, pyotp.TOTP(totp).at(clock.now()), policy)


def test_an_auditor_needs_no_second_factor(
    app: Flask, runner: FlaskCliRunner, clock: Clock
) -> None:
    assert set_up(app, create(runner, "auditor", "Dana"), clock) is None
    with app.app_context():
        person = accounts.check_password("Dana", PASSWORD, app.config["LICENSING_SIGNIN_POLICY"])
        assert not person.needs_totp and person.role == "auditor"


def test_a_set_up_link_expires(app: Flask, runner: FlaskCliRunner, clock: Clock) -> None:
    secret = create(runner)
    clock.advance(hours=73)
    with app.app_context():
        assert accounts.setup_of(secret) is None
        assert not accounts.complete_setup(secret, PASSWORD, PASSWORD, "000000", 12)


def test_a_weak_password_is_refused_at_set_up(app: Flask, runner: FlaskCliRunner) -> None:
    secret = create(runner, "auditor", "Dana")
    with app.app_context(), pytest.raises(accounts.InvalidFields) as refused:
        accounts.complete_setup(secret, "password1234", "password1234", None, 12)
    assert "too common" in refused.value.errors["password"][0]


def test_repeated_failures_slow_down_then_lock_the_account(
    make_app, runner: FlaskCliRunner, clock: Clock
) -> None:
    app = make_app(LICENSING_SIGNIN_SLOW_AFTER="2", LICENSING_SIGNIN_LOCK_AFTER="4")
    runner = app.test_cli_runner()
    set_up(app, create(runner, "auditor", "Dana"), clock)
    policy = app.config["LICENSING_SIGNIN_POLICY"]
    with app.app_context():
        for _ in range(2):
            with pytest.raises(SignInRefused) as refused:
                accounts.check_password("Dana", "wrong-password-x", policy)
            assert refused.value.until is None
        with pytest.raises(SignInRefused) as refused:  # must wait, even with the right password
            accounts.check_password("Dana", PASSWORD, policy)
        assert refused.value.until == clock.now() + timedelta(seconds=1)
        for _ in range(2):
            clock.advance(seconds=2)
            with pytest.raises(SignInRefused):
                accounts.check_password("Dana", "wrong-password-x", policy)
        clock.advance(minutes=14)
        with pytest.raises(SignInRefused) as refused:
            accounts.check_password("Dana", PASSWORD, policy)
        assert refused.value.until is not None
    assert "locked" in runner.invoke(args=["users", "list"]).stdout
    clock.advance(minutes=2)
    with app.app_context():
        assert accounts.check_password("Dana", PASSWORD, policy).name == "Dana"


def test_disable_ends_sessions_and_reset_issues_a_new_link(
    app: Flask, runner: FlaskCliRunner, clock: Clock
) -> None:
    set_up(app, create(runner, "auditor", "Dana"), clock)
    policy = app.config["LICENSING_SIGNIN_POLICY"]
    with app.app_context():
        person = accounts.check_password("Dana", PASSWORD, policy)
        secret = accounts.begin_session(person, "browser", "10.0.0.1")
        limits = app.config["LICENSING_SESSION_IDLE"], app.config["LICENSING_SESSION_MAX"]
        assert accounts.session_of(secret, *limits) is not None
    assert runner.invoke(args=["users", "disable", "Dana"]).exit_code == 0
    with app.app_context():
        assert accounts.session_of(secret, *limits) is None
        with pytest.raises(SignInRefused):
            accounts.check_password("Dana", PASSWORD, policy)
    listing = runner.invoke(args=["users", "list"]).stdout
    assert listing == "Dana\tauditor\tdisabled\tdana@gov.kz\n"
    result = runner.invoke(args=["users", "reset", "Dana"])
    assert result.exit_code == 0 and "/console/setup/" in result.stdout
    assert "awaiting set-up" in runner.invoke(args=["users", "list"]).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "miner", "--name", "X", "--email", "x@gov.kz"], "Invalid value for '--role'"),
        (["--role", "auditor", "--name", "X", "--email", "not-an-address"], "--email"),
        (["--role", "auditor", "--name", "A\u202eB", "--email", "x@gov.kz"], "--name"),
    ],
)
def test_bad_accounts_are_refused(runner: FlaskCliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == 2 and message in result.output


def test_names_and_addresses_are_unique(runner: FlaskCliRunner) -> None:
    create(runner, "auditor", "Dana")
    result = runner.invoke(
        args=["users", "create", "--role", "auditor", "--name", "Dana", "--email", "d2@gov.kz"]
    )
    assert result.exit_code == 2 and "--name" in result.output


def test_unknown_accounts_cannot_be_disabled_or_reset(runner: FlaskCliRunner) -> None:
    for command in ("disable", "reset"):
        result = runner.invoke(args=["users", command, "Nobody"])
        assert result.exit_code == 1 and "no account named" in result.output
