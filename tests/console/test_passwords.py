"""Passwords a reviewer accepts: the set-up page refuses one easy to guess, saying why in the
reader's language."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

from tests.console.conftest import PASSWORD, csrf_token


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
