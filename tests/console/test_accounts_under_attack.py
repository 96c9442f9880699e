"""Officers' accounts under attack: a sign-in never holds the write lock every other write waits
for; a `next` refused signs no one in; signing in again ends the session the browser held; the
current password on the password page and the codes that approve a proposal are guesses,
counted and throttled like failed sign-ins."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from licensing.config import database_url
from licensing.models import ConsoleSession, db
from licensing.services import accounts
from tests.conftest import Clock
from tests.console.conftest import (
    PASSWORD,
    Someone,
    csrf_token,
    english,
    post_form,
    sign_in,
)
from tests.console.test_proposals import approve, propose_revocation, status

WRONG = "not-the-password-9"
NEW_PASSWORD = "juniper-lantern-orbit-93"


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(LICENSING_APPROVAL_REQUIRED="revoke")


def attempt(client: FlaskClient, login: str, password: str, address: str, **data: str) -> Any:
    return client.post(
        "/console/sign-in",
        data={"login": login, "password": password, "csrf_token": csrf_token(client), **data},
        environ_overrides={"REMOTE_ADDR": address},
    )


def sessions_kept(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ConsoleSession)) or 0


@contextmanager
def _other_write(app: Flask) -> Iterator[Any]:
    """Yield a function telling whether another connection could take the write lock now."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):

        def free() -> bool:
            connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.rollback()
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                connection.close()

        yield free
        return
    engine = sa.create_engine(database_url(url))

    def free_pg() -> bool:
        with engine.connect() as connection:
            try:
                connection.exec_driver_sql(
                    "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT"
                )
                return True
            except sa.exc.OperationalError:
                return False
            finally:
                connection.rollback()

    try:
        yield free_pg
    finally:
        engine.dispose()


class _Probing:
    """The registry's hasher, asking at each verification whether other writes could go on."""

    def __init__(self, hasher: Any, free: Any) -> None:
        self.hasher, self.free, self.seen = hasher, free, []

    def verify(self, hash: str, password: str) -> bool:
        self.seen.append(self.free())
        return bool(self.hasher.verify(hash, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


def test_checking_a_password_does_not_hold_every_other_write_of_the_registry(
    app: Flask, client: FlaskClient, auditor_person: Someone, monkeypatch: pytest.MonkeyPatch
) -> None:
    # check_password runs Argon2 (64 MiB, ~0.1 s) inside write_transaction, which has locked the
    # chain head: every licence issued, amended or revoked waits for any sign-in attempt, and
    # anyone may post sign-in attempts
    with _other_write(app) as free:
        assert free()  # no write under way: the probe takes the lock
        probing = _Probing(accounts._hasher, free)
        monkeypatch.setattr(accounts, "_hasher", probing)
        attempt(client, "nobody-at-all", WRONG, "10.0.0.1")
        attempt(client, auditor_person.name, WRONG, "10.0.0.2")
    assert probing.seen == [True, True]


def test_a_sign_in_refused_for_its_next_leaves_no_session_open(
    app: Flask, client: FlaskClient, auditor_person: Someone
) -> None:
    answer = attempt(
        client, auditor_person.name, PASSWORD, "10.0.0.1", next="/console/\r\nSet-Cookie: x=1"
    )
    assert answer.status_code == 400
    # the 400 came after the session was opened and the cookie set: signed in all the same
    assert sessions_kept(app) == 0
    assert client.get("/console/").status_code == 302


def test_signing_in_again_ends_the_session_the_browser_held(
    app: Flask, client: FlaskClient, officer: Someone, clock: Clock
) -> None:
    sign_in(client, officer, clock)
    before = client.get_cookie("licensing_session")
    assert before is not None
    sign_in(client, officer, clock)
    thief = english(app.test_client())
    thief.set_cookie("licensing_session", before.value)
    assert thief.get("/console/").status_code == 302


def test_guessing_the_current_password_on_the_password_page_is_throttled(
    officer_client: FlaskClient,
) -> None:
    # whoever holds a session (a copied cookie) may try current passwords without end: no
    # failure is counted, no rate budget spent, and each try costs an Argon2 verification
    for n in range(12):
        wrong = post_form(
            officer_client,
            "/console/password",
            {"current": f"guess-{n}", "password": NEW_PASSWORD, "repeated": NEW_PASSWORD},
        )
        assert wrong.status_code in (422, 429)
    right = post_form(
        officer_client,
        "/console/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "repeated": NEW_PASSWORD},
    )
    assert right.status_code != 303


def test_wrong_codes_at_approval_are_throttled(
    client: FlaskClient,
    officer_client: FlaskClient,
    second_client: FlaskClient,
    second: Someone,
    regulator: dict[str, str],
    number: str,
    clock: Clock,
) -> None:
    proposal_id = propose_revocation(officer_client, number)
    right = second.code(clock)
    wrong = [f"{n:06d}" for n in range(13) if f"{n:06d}" != right][:12]
    for code in wrong:  # guessed at request speed: nothing counts them
        assert approve(second_client, proposal_id, code).status_code in (422, 429)
    answer = approve(second_client, proposal_id, right)
    assert answer.status_code != 303
    assert status(client, regulator, number) == "issued"
