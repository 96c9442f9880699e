"""Four eyes under concurrency: approvals racing for one proposal carry it out once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.db.test_concurrency import WRITERS, chain, in_parallel
from tests.factories import API, bearer, chain_holds, decision, issue


def test_racing_approvals_of_one_proposal_carry_it_out_once(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_APPROVAL_REQUIRED="revoke")
    proposer = bearer(app, "regulator", name="proposer")
    approvers = [bearer(app, "regulator", name=f"approver-{i}") for i in range(WRITERS)]
    client = app.test_client()
    number = issue(client, proposer)["number"]
    answer = client.post(
        f"{API}/licences/{number}/revoke", json=decision("revoke"), headers=proposer
    )
    assert answer.status_code == 202
    path = f"{API}/proposals/{answer.get_json()['id']}/approve"

    def approve(headers: dict[str, str]) -> Callable[[], Any]:
        return lambda: app.test_client().post(path, headers=headers)

    responses = in_parallel([approve(h) for h in approvers])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (WRITERS - 1)
    losers = [r.get_json() for r in responses if r.status_code == 409]
    assert {p["type"] for p in losers} <= {
        "urn:licensing:problem:proposal-approved",
        "urn:licensing:problem:concurrent-change",
    }
    events = chain(app)
    assert [e["action"] for e in events] == ["issue", "revoke"]
    winner = next(r.get_json() for r in responses if r.status_code == 200)
    assert events[-1]["data"]["approved_by"] == winner["decided_by"]
    assert chain_holds(app)


def test_racing_proposals_on_one_licence_leave_one_pending(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_APPROVAL_REQUIRED="revoke")
    officers = [bearer(app, "regulator", name=f"officer-{i}") for i in range(WRITERS)]
    number = issue(app.test_client(), officers[0])["number"]

    def propose(headers: dict[str, str]) -> Callable[[], Any]:
        return lambda: app.test_client().post(
            f"{API}/licences/{number}/revoke", json=decision("revoke"), headers=headers
        )

    responses = in_parallel([propose(h) for h in officers])
    assert sorted(r.status_code for r in responses) == [202] + [409] * (WRITERS - 1)
    made = next(r.get_json()["id"] for r in responses if r.status_code == 202)
    assert all(
        r.get_json().get("proposal_id") == made
        for r in responses
        if r.status_code == 409 and r.get_json()["type"].endswith("proposal-pending")
    )
    listed = app.test_client().get(f"{API}/proposals", headers=officers[0]).get_json()
    assert [p["id"] for p in listed["items"]] == [made]
    assert [e["action"] for e in chain(app)] == ["issue"]
