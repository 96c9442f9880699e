"""Four eyes through the API: a grave action becomes a proposal (202), which another regulator's
token approves (the change is recorded, naming both) or rejects; the proposer withdraws; an
expired or stale proposal executes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from licensing.models import IdempotencyRecord, Proposal, db
from tests.conftest import Clock
from tests.factories import API, act, bearer, chain_holds, decision, issue, written


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(LICENSING_APPROVAL_REQUIRED="revoke, suspend")


@pytest.fixture
def second(app: Flask) -> dict[str, str]:
    """Another regulator's token: the second pair of eyes."""
    return bearer(app, "regulator", name="regulator-second")


def proposals_held(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Proposal)) or 0


def propose(
    client: FlaskClient, headers: dict[str, str], number: str, action: str = "revoke", **more: str
) -> dict[str, Any]:
    answer = act(client, headers, number, action, **more)
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()


def test_a_revocation_is_proposed_and_executes_only_when_another_regulator_approves(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    answer = act(client, regulator, number, "revoke")
    assert answer.status_code == 202
    proposal = answer.get_json()
    assert answer.headers["Location"] == f"{API}/proposals/{proposal['id']}"
    assert (proposal["state"], proposal["action"], proposal["licence"]) == (
        "pending", "revoke", number,
    )  # fmt: skip
    assert proposal["licence_version"] == 1 and proposal["proposed_by"] == "regulator-1"
    assert proposal["decision"]["by"] == "court"
    # nothing happened to the licence yet
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert licence["status"] == "issued" and licence["version"] == 1
    assert written(app) == (1, 1)

    approved = client.post(f"{API}/proposals/{proposal['id']}/approve", headers=second)
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert (body["state"], body["decided_by"], body["seq"]) == ("approved", "regulator-second", 2)
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert licence["status"] == "revoked" and licence["version"] == 2
    history = client.get(f"{API}/licences/{number}/history", headers=regulator).get_json()
    event = history["items"][-1]
    assert event["action"] == "revoke" and event["actor"] == "regulator-second"
    assert event["data"]["proposed_by"] == "regulator-1"
    assert event["data"]["approved_by"] == "regulator-second"
    assert event["data"]["decision"] == proposal["decision"]
    assert chain_holds(app)
    # the public timeline shows the change as any other, and names no officer
    timeline = client.get(f"{API}/status/{number}/timeline").get_data(as_text=True)
    assert "revoke" in timeline
    assert "regulator-1" not in timeline and "regulator-second" not in timeline


def test_a_suspension_proposal_keeps_its_end_date_and_records_it_when_approved(
    client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number, "suspend")
    assert proposal["until"] == decision("suspend")["until"]
    client.post(f"{API}/proposals/{proposal['id']}/approve", headers=second)
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert licence["status"] == "suspended"
    assert licence["suspended_until"] == proposal["until"]


def test_an_action_not_named_for_approval_is_taken_at_once(
    client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number, "suspend")
    client.post(f"{API}/proposals/{proposal['id']}/approve", headers=second)
    assert act(client, regulator, number, "resume").status_code == 200


def test_without_the_setting_every_action_answers_200_as_before(
    make_app: Any,
) -> None:
    app = make_app()
    client = app.test_client()
    regulator = bearer(app, "regulator")
    number = issue(client, regulator)["number"]
    answer = act(client, regulator, number, "revoke")
    assert answer.status_code == 200 and answer.get_json()["status"] == "revoked"
    assert proposals_held(app) == 0


def test_the_proposer_cannot_approve_or_reject_its_own_proposal(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number)
    before = written(app)
    refused = client.post(f"{API}/proposals/{proposal['id']}/approve", headers=regulator)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"] == "urn:licensing:problem:own-proposal"
    refused = client.post(
        f"{API}/proposals/{proposal['id']}/reject", json={"reason": "no"}, headers=regulator
    )
    assert refused.status_code == 403
    assert written(app) == before
    state = client.get(f"{API}/proposals/{proposal['id']}", headers=regulator).get_json()["state"]
    assert state == "pending"


def test_a_token_named_as_the_proposer_cannot_approve_either(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number)
    with app.app_context():
        from licensing.services import tokens

        tokens.revoke("regulator-1")
        again = {"Authorization": f"Bearer {tokens.create('regulator-1', 'regulator', None)}"}
    refused = client.post(f"{API}/proposals/{proposal['id']}/approve", headers=again)
    assert refused.status_code == 403


def test_auditors_read_proposals_but_cannot_act_on_them(
    app: Flask, client: FlaskClient, regulator: dict[str, str], auditor: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number)
    listed = client.get(f"{API}/proposals", headers=auditor)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.get_json()["items"]] == [proposal["id"]]
    assert client.get(f"{API}/proposals/{proposal['id']}", headers=auditor).status_code == 200
    for path, body in (("approve", None), ("reject", {"reason": "x"}), ("withdraw", None)):
        answer = client.post(f"{API}/proposals/{proposal['id']}/{path}", json=body, headers=auditor)
        assert answer.status_code == 403, path
    assert client.post(f"{API}/licences/{number}/revoke", json=decision("revoke"),
                       headers=auditor).status_code == 403  # fmt: skip
    assert client.get(f"{API}/proposals").status_code == 401
    state = client.get(f"{API}/proposals/{proposal['id']}", headers=auditor).get_json()["state"]
    assert state == "pending"


def test_a_rejection_needs_a_reason_and_records_it(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number)
    path = f"{API}/proposals/{proposal['id']}/reject"
    missing = client.post(path, json={}, headers=second)
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    blank = client.post(path, json={"reason": "   "}, headers=second)
    assert blank.status_code == 422 and "reason" in blank.get_json()["errors"]
    rejected = client.post(path, json={"reason": "Решение суда обжаловано."}, headers=second)
    assert rejected.status_code == 200
    body = rejected.get_json()
    assert (body["state"], body["rejection_reason"], body["seq"]) == (
        "rejected", "Решение суда обжаловано.", None,
    )  # fmt: skip
    assert written(app) == (1, 1)
    # a rejected proposal is done with: approving it now does nothing
    late = client.post(f"{API}/proposals/{proposal['id']}/approve", headers=second)
    assert late.status_code == 409 and late.get_json()["state"] == "rejected"
    assert written(app) == (1, 1)


def test_only_the_proposer_withdraws(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number)
    path = f"{API}/proposals/{proposal['id']}/withdraw"
    refused = client.post(path, headers=second)
    assert refused.status_code == 403
    assert refused.get_json()["type"] == "urn:licensing:problem:not-proposer"
    withdrawn = client.post(path, headers=regulator)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["state"] == "withdrawn"
    # the licence is free for a new proposal
    assert act(client, regulator, number, "revoke").status_code == 202


def test_a_second_proposal_on_a_licence_is_refused_with_the_pending_ones_id(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    first = propose(client, regulator, number)
    again = act(client, second, number, "suspend")
    assert again.status_code == 409
    assert again.get_json()["proposal_id"] == first["id"]
    assert again.headers["Location"] == f"{API}/proposals/{first['id']}"
    assert proposals_held(app) == 1


def test_a_proposal_the_action_would_refuse_is_refused_the_same_way(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    bad = act(client, regulator, number, "revoke", decision("revoke", reason_code="nonsense"))
    assert bad.status_code == 422 and "reason_code" in bad.get_json()["errors"]
    stale = act(client, regulator, number, "revoke", None, **{"If-Match": '"7"'})
    assert stale.status_code == 412
    not_allowed = act(client, regulator, number, "resume")  # resume is not under approval
    assert not_allowed.status_code == 409
    assert proposals_held(app) == 0 and written(app) == (1, 1)


def test_a_proposal_left_undecided_expires_and_executes_nothing(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str],
    clock: Clock,
) -> None:  # fmt: skip
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number)
    clock.advance(hours=71, minutes=59)
    read = client.get(f"{API}/proposals/{proposal['id']}", headers=regulator).get_json()
    assert read["state"] == "pending"
    clock.advance(minutes=1)
    read = client.get(f"{API}/proposals/{proposal['id']}", headers=regulator).get_json()
    assert read["state"] == "expired"
    listed = client.get(f"{API}/proposals?state=expired", headers=regulator).get_json()
    assert [p["id"] for p in listed["items"]] == [proposal["id"]]
    assert client.get(f"{API}/proposals?state=pending", headers=regulator).get_json()["total"] == 0
    late = client.post(f"{API}/proposals/{proposal['id']}/approve", headers=second)
    assert late.status_code == 409
    assert late.get_json()["type"] == "urn:licensing:problem:proposal-expired"
    assert written(app) == (1, 1)
    # a new proposal may be made once the old one expired
    assert act(client, regulator, number, "revoke").status_code == 202


def test_approving_a_proposal_on_a_licence_changed_since_marks_it_stale(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    proposal = propose(client, regulator, number)
    amended = client.patch(
        f"{API}/licences/{number}", json={"capacity_mw": "20"},
        headers={**regulator, "If-Match": '"1"'},
    )  # fmt: skip
    assert amended.status_code == 200
    assert client.get(f"{API}/proposals/{proposal['id']}", headers=second).get_json()["state"] == (
        "stale"
    )
    before = written(app)
    late = client.post(f"{API}/proposals/{proposal['id']}/approve", headers=second)
    assert late.status_code == 409
    assert late.get_json()["type"] == "urn:licensing:problem:proposal-stale"
    assert written(app) == before
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert licence["status"] == "issued"
    with app.app_context():
        assert db.session.get(Proposal, proposal["id"]).state == "stale"  # marked, not only shown


def test_an_idempotency_key_replays_the_proposal_and_the_approval(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    first = act(client, regulator, number, "revoke", **{"Idempotency-Key": "p-1"})
    again = act(client, regulator, number, "revoke", **{"Idempotency-Key": "p-1"})
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert proposals_held(app) == 1
    path = f"{API}/proposals/{first.get_json()['id']}/approve"
    keyed = {**second, "Idempotency-Key": "a-1"}
    approved, repeated = client.post(path, headers=keyed), client.post(path, headers=keyed)
    assert approved.status_code == repeated.status_code == 200
    assert repeated.get_json() == approved.get_json()
    # the approval replayed says so, as a licence action's does
    assert "Idempotent-Replayed" not in approved.headers
    assert repeated.headers.get("Idempotent-Replayed") == "true"
    assert written(app) == (1, 2)
    reused = client.post(
        f"{API}/proposals/{first.get_json()['id']}/reject", json={"reason": "x"}, headers=keyed
    )
    assert reused.status_code == 422


def test_an_approval_the_rules_now_refuse_changes_no_row(
    app: Flask, client: FlaskClient, regulator: dict[str, str], second: dict[str, str],
    clock: Clock,
) -> None:  # fmt: skip
    number = issue(client, regulator)["number"]
    # the earliest lawful end, one month ahead: two days later it is too near
    body = decision("suspend", until="2026-04-10")
    proposal = act(client, regulator, number, "suspend", body).get_json()
    clock.advance(days=2)
    keyed = {**second, "Idempotency-Key": "late"}
    with app.app_context():
        records = db.session.scalar(select(func.count()).select_from(IdempotencyRecord))
    refused = client.post(f"{API}/proposals/{proposal['id']}/approve", headers=keyed)
    assert refused.status_code == 422 and "until" in refused.get_json()["errors"]
    read = client.get(f"{API}/proposals/{proposal['id']}", headers=second).get_json()
    assert (read["state"], read["decided_by"]) == ("pending", None)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == records
    assert written(app) == (1, 1)
    # it can still be rejected, and is
    rejected = client.post(
        f"{API}/proposals/{proposal['id']}/reject", json={"reason": "Срок истёк."}, headers=second
    )
    assert rejected.get_json()["state"] == "rejected"


def test_unknown_proposals_are_404_problems(client: FlaskClient, regulator: dict[str, str]) -> None:
    for path in ("/999", "/0", "/abc", "/99999999999999999999"):
        answer = client.get(f"{API}/proposals{path}", headers=regulator)
        assert answer.status_code == 404, path
        assert answer.mimetype == "application/problem+json"
    assert client.post(f"{API}/proposals/999/approve", headers=regulator).status_code == 404


def test_proposals_are_listed_by_licence_and_state(
    client: FlaskClient, regulator: dict[str, str], second: dict[str, str]
) -> None:
    one = issue(client, regulator)["number"]
    two = issue(client, regulator)["number"]
    first = propose(client, regulator, one)
    client.post(f"{API}/proposals/{first['id']}/approve", headers=second)
    pending = propose(client, regulator, two)
    listed = client.get(f"{API}/proposals?page_size=1", headers=regulator).get_json()
    assert (listed["total"], listed["page_size"]) == (2, 1)
    assert [p["id"] for p in listed["items"]] == [pending["id"]]  # newest first
    by_licence = client.get(f"{API}/proposals?licence={one}", headers=regulator).get_json()
    assert [p["id"] for p in by_licence["items"]] == [first["id"]]
    approved = client.get(f"{API}/proposals?state=approved", headers=regulator).get_json()
    assert [p["id"] for p in approved["items"]] == [first["id"]]
    assert client.get(f"{API}/proposals?state=odd", headers=regulator).status_code == 422
    assert client.get(f"{API}/proposals?licence=x", headers=regulator).status_code == 422


@pytest.mark.parametrize("setting", ["revoke,close", "Revoke", "amend"])
def test_an_unknown_action_named_for_approval_stops_the_start(make_app: Any, setting: str) -> None:
    from licensing.config import ConfigError

    with pytest.raises(ConfigError, match="LICENSING_APPROVAL_REQUIRED"):
        make_app(LICENSING_APPROVAL_REQUIRED=setting)
