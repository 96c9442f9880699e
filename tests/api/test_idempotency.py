from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.factories import API, act, application, bearer, decision, issue, written


def post(
    client: FlaskClient,
    headers: dict[str, str],
    key: str,
    body: dict[str, object],
    path: str = "/licences",
):  # type: ignore[no-untyped-def]
    return client.post(f"{API}{path}", json=body, headers={**headers, "Idempotency-Key": key})


def test_a_repeated_issue_returns_the_first_answer_and_writes_nothing(
    app: Flask, client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    first = post(client, regulator, "k-1", application())
    clock.advance(minutes=5)
    again = post(client, regulator, "k-1", application())
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert written(app) == (1, 1)


def test_the_same_key_with_another_body_is_422(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    post(client, regulator, "k-1", application())
    response = post(client, regulator, "k-1", application(capacity_mw="99"))
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert written(app) == (1, 1)


def test_a_repeated_suspension_is_not_a_409(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    path = f"/licences/{number}/suspend"
    first = post(client, regulator, "s-1", decision("suspend"), path)
    again = post(client, regulator, "s-1", decision("suspend"), path)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert written(app) == (1, 2)
    # the key is bound to its target too
    other = issue(client, regulator)["number"]
    assert (
        post(
            client, regulator, "s-1", decision("suspend"), f"/licences/{other}/suspend"
        ).status_code
        == 422
    )


def test_the_first_answer_is_kept_even_after_later_changes(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    path = f"/licences/{number}/suspend"
    first = post(client, regulator, "s-1", decision("suspend"), path)
    act(client, regulator, number, "revoke")
    again = post(client, regulator, "s-1", decision("suspend"), path)
    assert again.get_json() == first.get_json() and again.get_json()["status"] == "suspended"


def test_a_refused_request_does_not_use_up_its_key(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    assert post(client, regulator, "k-1", application(holder_bin="1")).status_code == 422
    assert post(client, regulator, "k-1", application()).status_code == 201
    assert written(app) == (1, 1)


def test_keys_belong_to_one_token(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    other = bearer(app, "regulator", name="bob")
    post(client, regulator, "k-1", application())
    assert post(client, other, "k-1", application()).headers.get("Idempotent-Replayed") is None
    assert written(app) == (2, 2)


def test_keys_expire(
    app: Flask, client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    post(client, regulator, "k-1", application())
    clock.advance(hours=25)
    assert post(client, regulator, "k-1", application(capacity_mw="99")).status_code == 201
    assert written(app) == (2, 2)


def test_a_malformed_key_is_422(client: FlaskClient, regulator: dict[str, str]) -> None:
    response = post(client, regulator, "x" * 300, application())
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
