"""Passwords a reviewer accepts: the set-up page refuses one easy to guess, saying why in the
reader's language."""

from __future__ import annotations

import unicodedata

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, update

from licensing.models import User, db
from licensing.services import accounts
from tests.console.conftest import PASSWORD, Someone, csrf_token, english, post_form


def set_up_link(runner: FlaskCliRunner) -> str:
    link = runner.invoke(
        args=["users", "create", "--role", "auditor", "--name", "Dana", "--email", "d@gov.kz"]
    ).stdout.strip()
    return link.removeprefix("http://localhost:5000")


@pytest.mark.parametrize(
    ("password", "language", "reason"),
    [
        ("aaaaaaaaaaaa", "en", "Repeated letters or words"),
        ("aaaaaaaaaaaa", "ru", "Повторы букв или слов"),
        ("aaaaaaaaaaaa", "kk", "Қайталанған әріптер мен сөздер"),
        ("abcdefghijklmn", "ru", "Последовательности вроде"),
        ("elephantelephant", "kk", "Қайталанған әріптер мен сөздер"),
    ],
)
def test_a_password_easy_to_guess_is_refused_saying_why_in_the_readers_language(
    client: FlaskClient, runner: FlaskCliRunner, password: str, language: str, reason: str
) -> None:
    path = set_up_link(runner)
    headers = {"Accept-Language": language}
    answer = client.post(
        path,
        data={"password": password, "repeated": password, "csrf_token": csrf_token(client, path)},
        headers=headers,
    )
    assert answer.status_code == 422
    error = answer.text.split('id="password-error">')[1].split("</p>")[0]
    assert reason in error
    assert "Repeats like" not in answer.text and "Sequences like" not in answer.text  # not zxcvbn's
    accepted = client.post(
        path,
        data={"password": PASSWORD, "repeated": PASSWORD, "csrf_token": csrf_token(client, path)},
    )
    assert accepted.status_code == 303


# й and ё precomposed (NFC, as most keyboards type them) and as a letter and a combining mark (NFD,
# as some systems hand them on): the same password to the person typing it
TYPED = "йод-ёлка-сокол-47-дала"
NFC = unicodedata.normalize("NFC", TYPED)
NFD = unicodedata.normalize("NFD", TYPED)


def sign_in_answer(app: Flask, login: str, password: str) -> int:
    client = english(app.test_client())
    return post_form(client, "/console/sign-in", {"login": login, "password": password}).status_code


def stored_hash(app: Flask, name: str) -> str | None:
    with app.app_context():
        return db.session.scalars(select(User.password_hash).where(User.name == name)).one()


def test_the_two_forms_of_й_and_ё_are_one_password(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    assert NFC != NFD
    path = set_up_link(runner)
    answer = post_form(client, path, {"password": NFD, "repeated": NFC})
    assert answer.status_code == 303
    assert sign_in_answer(app, "Dana", NFC) == 303
    assert sign_in_answer(app, "Dana", NFD) == 303
    assert sign_in_answer(app, "Dana", NFC.replace("й", "и")) == 401


def test_a_password_hashed_as_typed_before_normalising_still_signs_in_and_moves_over(
    app: Flask, auditor_person: Someone
) -> None:
    # an account whose hash was made from the NFD text as it came, before passwords were
    # normalised
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.name == auditor_person.name)
            .values(password_hash=accounts._hasher.hash(NFD))
        )
        db.session.commit()
    as_typed = stored_hash(app, auditor_person.name)
    assert sign_in_answer(app, auditor_person.name, NFC) == 401  # its hash is not of this form
    assert stored_hash(app, auditor_person.name) == as_typed

    assert sign_in_answer(app, auditor_person.name, NFD) == 303  # the text it was made from
    moved = stored_hash(app, auditor_person.name)
    assert moved != as_typed
    assert sign_in_answer(app, auditor_person.name, NFC) == 303
    assert stored_hash(app, auditor_person.name) == moved  # nothing more to move


def test_a_password_changed_to_one_form_signs_in_and_changes_again_with_the_other(
    app: Flask, auditor_client: FlaskClient
) -> None:
    answer = post_form(
        auditor_client,
        "/console/password",
        {"current": PASSWORD, "password": NFD, "repeated": NFD},
    )
    assert answer.status_code == 303
    again = english(app.test_client())
    assert (
        post_form(again, "/console/sign-in", {"login": "Dana", "password": NFC}).status_code == 303
    )
    changed = post_form(
        again,
        "/console/password",
        {"current": NFC, "password": PASSWORD, "repeated": PASSWORD},
    )
    assert changed.status_code == 303
    assert sign_in_answer(app, "Dana", PASSWORD) == 303


@pytest.mark.registry_password_cost
def test_a_password_is_kept_as_an_argon2id_hash_at_the_registrys_cost(
    app: Flask, officer: Someone
) -> None:
    with app.app_context():
        kept = db.session.scalars(select(User.password_hash).where(User.name == officer.name)).one()
    # argon2-cffi's RFC 9106 low-memory profile: 64 MiB, three passes, four lanes
    assert kept.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
