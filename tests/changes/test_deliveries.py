"""Deliveries to a real receiver process that checks every signature with `standardwebhooks`:
in order, once each, through failures, retries, hostile receivers and a killed process."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from licensing.domain.roles import REGULATOR
from licensing.domain.webhooks import PAUSED
from licensing.models import Subscription, db
from licensing.services import subscriptions
from licensing.services.context import Actor
from tests.changes.conftest import Receiver, deliver, subscribe
from tests.factories import API, act, bearer, issue

SUBSCRIPTIONS = f"{API}/subscriptions"


def seqs(received: list[dict[str, Any]]) -> list[int]:
    return [entry["body"]["data"]["seq"] for entry in received]


def shown(client: FlaskClient, headers: dict[str, str], subscription: str) -> dict[str, Any]:
    return client.get(f"{SUBSCRIPTIONS}/{subscription}", headers=headers).get_json()


def test_changes_made_through_the_api_arrive_once_each_in_order_and_signed(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver)
    number = issue(hooks_client, regulator)["number"]
    for action in ("suspend", "resume"):
        act(hooks_client, regulator, number, action)
    issue(hooks_client, regulator)

    deliver(hooks_app)

    received = receiver.received()
    assert all(entry["valid"] for entry in received)
    assert seqs(received) == [1, 2, 3, 4]
    assert [entry["id"] for entry in received] == [f"{made['id']}-{n}" for n in (1, 2, 3, 4)]
    feed = hooks_client.get(f"{API}/changes").get_json()["items"]
    assert [entry["body"]["data"] for entry in received] == feed
    assert [entry["body"]["type"] for entry in received] == [
        "licence.issue", "licence.suspend", "licence.resume", "licence.issue",
    ]  # fmt: skip
    assert {entry["body"]["subscription"] for entry in received} == {made["id"]}
    state = shown(hooks_client, bank, made["id"])
    assert (state["cursor"], state["lag"], state["delivered"]) == (4, 0, 4)
    deliver(hooks_app)
    assert len(receiver.received()) == 4  # nothing again


def test_a_subscription_gets_only_what_it_follows(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    region = subscribe(hooks_client, bank, receiver, "/ok?region", follows={"region": "abai"})
    suspensions = subscribe(hooks_client, bank, receiver, "/ok?suspensions", actions=["suspend"])
    one = issue(hooks_client, regulator, region="abai")["number"]
    other = issue(hooks_client, regulator, region="pavlodar")["number"]
    act(hooks_client, regulator, other, "suspend")
    act(hooks_client, regulator, one, "suspend")

    deliver(hooks_app)

    assert seqs(receiver.received("/ok?region")) == [1, 4]
    assert seqs(receiver.received("/ok?suspensions")) == [3, 4]
    for made in (region, suspensions):  # the cursors passed what they do not follow
        assert shown(hooks_client, bank, made["id"])["cursor"] == 4


def test_a_receiver_down_for_a_while_gets_everything_once_it_is_up(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver)
    receiver.stop()
    for _ in range(3):
        issue(hooks_client, regulator)

    deliver(hooks_app, rounds=2)
    down = shown(hooks_client, bank, made["id"])
    receiver.start()
    deliver(hooks_app)

    assert (down["cursor"], down["status"], down["attempts"]) == (0, "active", 2)
    assert "failed" in down["last_error"] or "refused" in down["last_error"].lower()
    assert seqs(receiver.received()) == [1, 2, 3]
    assert all(entry["valid"] for entry in receiver.received())
    log = hooks_client.get(f"{SUBSCRIPTIONS}/{made['id']}/deliveries", headers=bank).get_json()
    outcomes = [(e["seq"], e["outcome"]) for e in reversed(log["items"])]
    assert outcomes == [(1, "failed"), (1, "failed"), (1, "delivered"), (2, "delivered"),
                        (3, "delivered")]  # fmt: skip


def test_after_the_schedule_the_subscription_is_failing_and_resumes_from_its_cursor(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver)
    receiver.stop()
    issue(hooks_client, regulator)
    issue(hooks_client, regulator)

    deliver(hooks_app)  # the schedule (three attempts in the tests) runs out
    failing = shown(hooks_client, bank, made["id"])
    deliver(hooks_app)
    receiver.start()
    answer = hooks_client.post(
        f"{SUBSCRIPTIONS}/{made['id']}/redeliver", json={"from_seq": failing["cursor"] + 1},
        headers=bank,
    )  # fmt: skip
    deliver(hooks_app)

    assert (failing["status"], failing["cursor"], failing["failed"]) == ("failing", 0, 3)
    assert answer.status_code == 200 and answer.get_json()["status"] == "active"
    assert seqs(receiver.received()) == [1, 2]


def test_a_410_disables_the_subscription(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver, "/gone")
    issue(hooks_client, regulator)
    issue(hooks_client, regulator)

    deliver(hooks_app)

    assert shown(hooks_client, bank, made["id"])["status"] == "disabled"
    assert len(receiver.received()) == 1


def test_hostile_receivers_are_recorded_failures_never_a_stuck_process(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    paths = ("/hang", "/redirect", "/reset", "/busy", "/big")
    made = {path: subscribe(hooks_client, bank, receiver, path) for path in paths}
    issue(hooks_client, regulator)

    deliver(hooks_app, rounds=1)

    errors = {path: shown(hooks_client, bank, made[path]["id"])["last_error"] for path in paths}
    assert "timed out" in errors["/hang"]
    assert "redirect" in errors["/redirect"] and "not followed" in errors["/redirect"]
    assert "failed" in errors["/reset"]
    assert "503" in errors["/busy"]
    big = shown(hooks_client, bank, made["/big"]["id"])
    assert (big["cursor"], big["last_error"]) == (1, None)  # a 2xx, its body read no further
    for path in ("/hang", "/redirect", "/reset", "/busy"):
        state = shown(hooks_client, bank, made[path]["id"])
        assert (state["cursor"], state["attempts"], state["status"]) == (0, 1, "active"), path
    with hooks_app.app_context():
        retry = db.session.scalar(
            select(Subscription.next_attempt_at).where(Subscription.id == made["/busy"]["id"])
        )
        now = __import__("licensing").clock.now()
    assert (retry - now).total_seconds() >= 1  # Retry-After: 1 honoured over the schedule's 0


def test_a_test_delivery_is_queued_for_the_delivery_process_then_signed_and_logged(
    hooks_app: Flask, hooks_client: FlaskClient, receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver)
    log_url = f"{SUBSCRIPTIONS}/{made['id']}/deliveries"

    answer = hooks_client.post(f"{SUBSCRIPTIONS}/{made['id']}/test", headers=bank)
    again = hooks_client.post(f"{SUBSCRIPTIONS}/{made['id']}/test", headers=bank)
    before = hooks_client.get(log_url, headers=bank).get_json()["items"]
    sent_before = receiver.received()
    deliver(hooks_app)

    queued = answer.get_json()
    assert answer.status_code == 202 and queued["outcome"] == "queued"
    assert answer.headers["Location"] == queued["deliveries"] == log_url
    assert again.get_json()["webhook_id"] == queued["webhook_id"]  # one test queued, not two
    assert (before, sent_before) == ([], [])  # the web worker sent nothing itself
    (received,) = receiver.received()
    assert received["valid"] and received["body"]["type"] == "webhook.test"
    assert received["id"] == queued["webhook_id"]
    log = hooks_client.get(log_url, headers=bank).get_json()["items"]
    assert [(e["outcome"], e["webhook_id"], e["status"]) for e in log] == [
        ("test", queued["webhook_id"], 200)
    ]
    assert shown(hooks_client, bank, made["id"])["cursor"] == 0


def test_a_test_delivery_reaches_a_paused_subscription_and_moves_nothing(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver)
    with hooks_app.app_context():  # as the console's pause button does
        subscriptions.set_status(Actor("officer", REGULATOR, user_id=1), made["id"], PAUSED)
    issue(hooks_client, regulator)

    hooks_client.post(f"{SUBSCRIPTIONS}/{made['id']}/test", headers=bank)
    deliver(hooks_app)

    assert [entry["body"]["type"] for entry in receiver.received()] == ["webhook.test"]
    state = shown(hooks_client, bank, made["id"])
    assert (state["status"], state["cursor"]) == ("paused", 0)


def test_a_failed_test_delivery_is_logged_and_not_retried(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver, "/busy")

    hooks_client.post(f"{SUBSCRIPTIONS}/{made['id']}/test", headers=bank)
    deliver(hooks_app)
    deliver(hooks_app)

    log = hooks_client.get(f"{SUBSCRIPTIONS}/{made['id']}/deliveries", headers=bank).get_json()
    assert [(e["outcome"], e["status"]) for e in log["items"]] == [("failed", 503)]
    state = shown(hooks_client, bank, made["id"])
    assert (state["status"], state["attempts"], state["cursor"]) == ("active", 0, 0)


def test_a_redelivery_repeated_under_its_key_sends_nothing_again(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver)
    for _ in range(2):
        issue(hooks_client, regulator)
    deliver(hooks_app)
    path, keyed = f"{SUBSCRIPTIONS}/{made['id']}/redeliver", {**bank, "Idempotency-Key": "r-1"}

    first = hooks_client.post(path, json={"from_seq": 1}, headers=keyed)
    deliver(hooks_app)
    again = hooks_client.post(path, json={"from_seq": 1}, headers=keyed)
    deliver(hooks_app)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json() == first.get_json() and first.get_json()["cursor"] == 0
    assert again.headers["Idempotent-Replayed"] == "true"
    assert seqs(receiver.received()) == [1, 2, 1, 2]


def test_redelivery_from_a_seq_sends_again_under_the_same_ids(
    hooks_app: Flask, hooks_client: FlaskClient, regulator: dict[str, str], receiver: Receiver
) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_client, bank, receiver)
    for _ in range(3):
        issue(hooks_client, regulator)
    deliver(hooks_app)

    answer = hooks_client.post(f"{SUBSCRIPTIONS}/{made['id']}/redeliver", json={"from_seq": 2},
                               headers=bank)  # fmt: skip
    deliver(hooks_app)
    too_far = hooks_client.post(f"{SUBSCRIPTIONS}/{made['id']}/redeliver",
                                json={"from_seq": 99}, headers=bank)  # fmt: skip

    assert answer.get_json()["cursor"] == 1
    ids = [entry["id"] for entry in receiver.received()]
    assert ids == [f"{made['id']}-{n}" for n in (1, 2, 3, 2, 3)]
    assert too_far.status_code == 422 and "from_seq" in too_far.get_json()["errors"]


def test_the_delivery_log_keeps_a_bounded_number_of_attempts(
    make_app: Any, tmp_path: Any, regulator: Any, receiver: Receiver
) -> None:
    from tests.changes.conftest import HOOKS

    app = make_app(LICENSING_DELIVERIES_LOG_KEEP="3", LICENSING_SECRET_KEY_FILE=str(tmp_path / "k"),
                   **HOOKS)  # fmt: skip
    client = app.test_client()
    regulator = bearer(app, "regulator")
    bank = bearer(app, "subscriber")
    made = subscribe(client, bank, receiver)
    for _ in range(5):
        issue(client, regulator)

    deliver(app)

    log = client.get(f"{SUBSCRIPTIONS}/{made['id']}/deliveries", headers=bank).get_json()
    assert [e["seq"] for e in log["items"]] == [5, 4, 3]
    assert len(receiver.received()) == 5
