"""Subscriptions: who may make them, what they may name, who sees them; the secret shown once."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, text

from licensing.models import Subscription, db
from tests.changes.conftest import HOOKS, subscribe
from tests.factories import API, OTHER_BIN, VALID_BIN, bearer, issue

SUBSCRIPTIONS = f"{API}/subscriptions"
ENDPOINT = "https://hooks.example.net/registry"


def public_dns(host: str, port: int) -> list[str]:
    return {"hooks.example.net": ["93.184.216.34"], "inside.example.net": ["10.1.2.3"],
            "mixed.example.net": ["93.184.216.34", "192.168.0.7"]}.get(host, [])  # fmt: skip


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    from licensing.services import subscriptions

    monkeypatch.setattr(subscriptions, "resolve", public_dns)


@pytest.fixture
def subscriber(hooks_app: Flask) -> dict[str, str]:
    return bearer(hooks_app, "subscriber", name="bank")


def make(client: FlaskClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post(SUBSCRIPTIONS, json={"url": ENDPOINT, "follows": {"all": True}, **body},
                       headers=headers)  # fmt: skip


def test_a_subscriber_subscribes_and_sees_the_secret_once(
    hooks_app: Flask, hooks_client: FlaskClient, subscriber: dict[str, str]
) -> None:
    response = make(hooks_client, subscriber, actions=["suspend", "revoke"])

    assert response.status_code == 201
    created = response.get_json()
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"][6:])) >= 24
    assert response.headers["Location"] == f"{SUBSCRIPTIONS}/{created['id']}"
    assert (created["status"], created["follows"], created["actions"], created["cursor"]) == (
        "active", {"all": True}, ["suspend", "revoke"], 0,
    )  # fmt: skip
    shown = hooks_client.get(response.headers["Location"], headers=subscriber).get_json()
    assert "secret" not in shown and shown["id"] == created["id"]
    listed = hooks_client.get(SUBSCRIPTIONS, headers=subscriber).get_json()
    assert [s["id"] for s in listed["items"]] == [created["id"]] and listed["total"] == 1
    with hooks_app.app_context():  # kept encrypted, never as it was shown
        stored = db.session.scalars(select(Subscription.secret)).one()
    assert created["secret"] not in stored and created["secret"][6:] not in stored


def test_the_cursor_starts_at_the_head(
    hooks_client: FlaskClient, regulator: dict[str, str], subscriber: dict[str, str]
) -> None:
    issue(hooks_client, regulator)
    issue(hooks_client, regulator)

    assert make(hooks_client, subscriber).get_json()["cursor"] == 2


def test_another_subscribers_subscription_is_not_found_and_a_regulator_sees_all(
    hooks_app: Flask, hooks_client: FlaskClient, subscriber: dict[str, str],
    regulator: dict[str, str],
) -> None:  # fmt: skip
    mine = make(hooks_client, subscriber).get_json()["id"]
    other = bearer(hooks_app, "subscriber", name="grid")

    for method in ("get", "delete"):
        answer = getattr(hooks_client, method)(f"{SUBSCRIPTIONS}/{mine}", headers=other)
        assert answer.status_code == 404
        assert answer.content_type == "application/problem+json"
    for path in ("test", "redeliver"):
        answer = hooks_client.post(f"{SUBSCRIPTIONS}/{mine}/{path}", json={"from_seq": 1},
                                   headers=other)  # fmt: skip
        assert answer.status_code == 404
    assert hooks_client.get(SUBSCRIPTIONS, headers=other).get_json()["items"] == []
    seen = hooks_client.get(SUBSCRIPTIONS, headers=regulator).get_json()["items"]
    assert [(s["id"], s["owner"]) for s in seen] == [(mine, "bank")]


def test_a_deleted_subscription_is_gone(
    hooks_client: FlaskClient, subscriber: dict[str, str]
) -> None:
    made = make(hooks_client, subscriber).get_json()["id"]

    assert hooks_client.delete(f"{SUBSCRIPTIONS}/{made}", headers=subscriber).status_code == 204
    assert hooks_client.get(f"{SUBSCRIPTIONS}/{made}", headers=subscriber).status_code == 404
    assert hooks_client.delete(f"{SUBSCRIPTIONS}/{made}", headers=subscriber).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("auditor", 403), ("admin", 403), (None, 401)])
def test_only_subscribers_miners_and_regulators_subscribe(
    hooks_app: Flask, hooks_client: FlaskClient, role: str | None, status: int
) -> None:
    headers = bearer(hooks_app, role) if role else {}

    assert make(hooks_client, headers).status_code == status
    assert hooks_client.get(SUBSCRIPTIONS, headers=headers).status_code == status


def test_a_miners_subscriptions_are_its_bins_seen_and_managed_by_its_other_tokens(
    make_app: Callable[..., Flask], tmp_path: Any
) -> None:
    app = make_app(LICENSING_SUBSCRIPTIONS_PER_TOKEN="2",
                   LICENSING_SECRET_KEY_FILE=str(tmp_path / "secret-key"), **HOOKS)  # fmt: skip
    client = app.test_client()
    old, new = bearer(app, "miner", VALID_BIN), bearer(app, "miner", VALID_BIN)
    stranger, bank = bearer(app, "miner", OTHER_BIN), bearer(app, "subscriber")
    made = make(client, old, follows={"holder_bin": VALID_BIN}).get_json()["id"]
    path = f"{SUBSCRIPTIONS}/{made}"

    listed = client.get(SUBSCRIPTIONS, headers=new).get_json()["items"]
    shown = client.get(path, headers=new)
    logged = client.get(f"{path}/deliveries", headers=new)
    tested = client.post(f"{path}/test", headers=new)
    # the cap is the BIN's: a second token does not double it
    second = make(client, new, follows={"holder_bin": VALID_BIN})
    third = make(client, new, follows={"holder_bin": VALID_BIN})

    assert [s["id"] for s in listed] == [made]
    assert (shown.status_code, logged.status_code, tested.status_code) == (200, 200, 202)
    assert (second.status_code, third.status_code) == (201, 422)
    for others in (stranger, bank):
        assert client.get(path, headers=others).status_code == 404
        assert client.get(SUBSCRIPTIONS, headers=others).get_json()["items"] == []
    assert client.delete(path, headers=new).status_code == 204
    assert client.get(path, headers=old).status_code == 404


def test_a_repeated_subscription_gets_the_first_answer_and_makes_one(
    hooks_app: Flask, hooks_client: FlaskClient, subscriber: dict[str, str]
) -> None:
    keyed = {**subscriber, "Idempotency-Key": "sub-1"}
    first = make(hooks_client, keyed, actions=["suspend"])
    again = make(hooks_client, keyed, actions=["suspend"])
    other_body = make(hooks_client, keyed, actions=["revoke"])

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()  # the secret too: the client may have lost it
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert other_body.status_code == 422
    assert "Idempotency-Key" in other_body.get_json()["errors"]
    assert hooks_client.get(SUBSCRIPTIONS, headers=subscriber).get_json()["total"] == 1
    with hooks_app.app_context():  # the answer is kept without its secret
        kept = db.session.execute(text("SELECT result FROM idempotency_records")).scalars().all()
    assert len(kept) == 1 and first.get_json()["secret"] not in kept[0]
    assert first.get_json()["secret"][6:] not in kept[0]


def test_a_miner_follows_its_own_licences_only(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str]
) -> None:
    miner = bearer(hooks_app, "miner", VALID_BIN)
    own = issue(hooks_client, regulator)["number"]
    theirs = issue(hooks_client, regulator, holder_bin=OTHER_BIN)["number"]

    assert make(hooks_client, miner, follows={"holder_bin": VALID_BIN}).status_code == 201
    assert make(hooks_client, miner, follows={"licences": [own]}).status_code == 201
    for follows in ({"holder_bin": OTHER_BIN}, {"licences": [own, theirs]}, {"all": True},
                    {"region": "pavlodar"}):  # fmt: skip
        refused = make(hooks_client, miner, follows=follows)
        assert refused.status_code == 422, follows
        assert "follows" in refused.get_json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.example.net/x"}, "url"),
        ({"url": "ftp://hooks.example.net/x"}, "url"),
        ({"url": "https://hooks.example.net/" + "a" * 2000}, "url"),
        ({"url": "https://user:pw@hooks.example.net/x"}, "url"),
        ({"url": "https://10.0.0.1/x"}, "url"),
        ({"url": "https://127.0.0.2/x"}, "url"),
        ({"url": "https://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "https://[::1]/x"}, "url"),
        ({"url": "https://[::ffff:10.0.0.1]/x"}, "url"),
        ({"url": "https://[fd00:ec2::254]/x"}, "url"),
        ({"url": "https://224.0.0.1/x"}, "url"),
        ({"url": "https://0.0.0.0/x"}, "url"),
        ({"url": "https://100.64.0.1/x"}, "url"),
        ({"url": "https://inside.example.net/x"}, "url"),
        ({"url": "https://mixed.example.net/x"}, "url"),
        ({"url": "https://nowhere.example.net/x"}, "url"),
        ({"url": "https://hooks.example.net/a b"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"follows": {"licences": ["DM-2026-999999"]}}, "follows.licences"),
        ({"follows": {"licences": ["nonsense"]}}, "follows.licences"),
        ({"follows": {"licences": []}}, "follows.licences"),
        ({"follows": {"region": "atlantis"}}, "follows.region"),
        ({"follows": {"holder_bin": "123"}}, "follows.holder_bin"),
        ({"follows": {"all": False}}, "follows.all"),
        ({"follows": {"everything": True}}, "follows"),
        ({"follows": {"all": True, "region": "abai"}}, "follows"),
        ({"actions": ["explode"]}, "actions"),
        ({"actions": []}, "actions"),
        ({"secret": "whsec_mine"}, "secret"),
    ],
)
def test_bad_subscription_input_is_refused_naming_the_field(
    hooks_client: FlaskClient, subscriber: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = make(hooks_client, subscriber, **body)

    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_an_allowed_host_may_use_http_and_a_loopback_address(
    hooks_client: FlaskClient, subscriber: dict[str, str]
) -> None:
    assert HOOKS["LICENSING_WEBHOOKS_ALLOW_HOSTS"] == "127.0.0.1"

    assert make(hooks_client, subscriber, url="http://127.0.0.1:9/hook").status_code == 201


def test_one_token_keeps_a_bounded_number_of_subscriptions(
    make_app: Callable[..., Flask], tmp_path: Any
) -> None:
    app = make_app(LICENSING_SUBSCRIPTIONS_PER_TOKEN="2", **HOOKS)
    client, headers = app.test_client(), bearer(app, "subscriber")
    assert [make(client, headers).status_code for _ in range(3)] == [201, 201, 422]
    first = client.get(SUBSCRIPTIONS, headers=headers).get_json()["items"][0]["id"]
    client.delete(f"{SUBSCRIPTIONS}/{first}", headers=headers)

    assert make(client, headers).status_code == 201


def test_tokens_create_makes_a_subscriber(hooks_app: Flask, runner: FlaskCliRunner) -> None:
    result = hooks_app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "subscriber", "--name", "bank-of-astana"]
    )

    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.output.strip()}"}
    assert hooks_app.test_client().get(SUBSCRIPTIONS, headers=headers).status_code == 200
    assert hooks_app.test_client().get(f"{API}/licences", headers=headers).status_code == 403


def test_a_subscriber_made_through_the_receiver_helper_is_listed(
    hooks_client: FlaskClient, subscriber: dict[str, str]
) -> None:
    made = subscribe(hooks_client, subscriber, None, url="http://127.0.0.1:9/x")

    assert hooks_client.get(f"{SUBSCRIPTIONS}/{made['id']}", headers=subscriber).status_code == 200
