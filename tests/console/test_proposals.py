"""Four eyes in the console: one officer proposes, another approves with a fresh second-factor
code (or rejects); the proposer withdraws; auditors read; replayed codes and forged forms fail."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.domain import proposals
from licensing.web import labels
from tests.conftest import Clock
from tests.console.conftest import (
    Someone,
    csrf_token,
    english,
    form_key,
    post_form,
)
from tests.factories import API, bearer, chain_holds, written

REVOCATION = {
    "reason_code": "unremedied_violation",
    "reason": "Нарушение не устранено в срок.",
    "legal_basis": "Закон РК «О цифровых активах», ст. 9",
    "decision_number": "21-ЛЦ/2026",
    "decision_date": "2026-03-10",
    "decision_by": "licensor",
    "version": "1",
}


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app(LICENSING_APPROVAL_REQUIRED="revoke")


def propose_revocation(officer_client: FlaskClient, number: str) -> int:
    path = f"/console/licences/{number}/revoke"
    review = post_form(officer_client, path, REVOCATION)
    assert review.status_code == 200
    assert "needs a second officer" in review.text and "Propose the decision" in review.text
    done = post_form(
        officer_client, path, {**REVOCATION, "confirm": "1", "form_key": form_key(review)}
    )
    assert done.status_code == 303
    found = re.search(r"/console/proposals/([0-9]+)$", done.headers["Location"])
    assert found, done.headers["Location"]
    page = officer_client.get(done.headers["Location"])
    assert "Proposed; waiting for a second officer." in page.text
    return int(found.group(1))


def status(client: FlaskClient, regulator: dict[str, str], number: str) -> str:
    return str(client.get(f"{API}/licences/{number}", headers=regulator).json["status"])


def approve(client: FlaskClient, proposal_id: int, code: str) -> Any:
    """Post the approval form of the proposal's page."""
    path = f"/console/proposals/{proposal_id}/approve"
    return client_post(client, proposal_id, path, {"code": code})


def test_one_officer_proposes_and_another_approves_with_a_fresh_code(
    app: Flask, client: FlaskClient, officer_client: FlaskClient, second_client: FlaskClient,
    second: Someone, officer: Someone, regulator: dict[str, str], number: str, clock: Clock,
) -> None:  # fmt: skip
    proposal_id = propose_revocation(officer_client, number)
    assert status(client, regulator, number) == "issued"
    board = second_client.get("/console/")
    awaiting = board.text.split('id="awaiting"')[1].split("</section>")[0]
    assert number in awaiting and "Aigerim" in awaiting
    page = second_client.get(f"/console/proposals/{proposal_id}")
    assert "Approve and record the decision" in page.text
    done = approve(second_client, proposal_id, second.code(clock))
    assert done.status_code == 303
    assert status(client, regulator, number) == "revoked"
    event = client.get(f"{API}/licences/{number}/history", headers=regulator).json["items"][-1]
    assert (event["action"], event["actor"]) == ("revoke", "Berik")
    assert event["data"]["proposed_by"] == "Aigerim" and event["data"]["approved_by"] == "Berik"
    shown = second_client.get(f"/console/proposals/{proposal_id}").text
    assert "Approved and carried out" in shown
    assert "Proposals awaiting approval (0)" in second_client.get("/console/").text
    assert chain_holds(app)


def test_a_code_used_before_is_refused_and_nothing_is_recorded(
    app: Flask, client: FlaskClient, officer_client: FlaskClient, second_client: FlaskClient,
    second: Someone, regulator: dict[str, str], number: str, clock: Clock,
) -> None:  # fmt: skip
    proposal_id = propose_revocation(officer_client, number)
    assert second.totp
    # the code Berik signed in with, thirty seconds ago: still inside the drift, but spent
    spent = pyotp.TOTP(second.totp).at(clock.now() - timedelta(seconds=30))
    before = written(app)
    for code in (spent, "000000", "", "12345678"):
        refused = approve(second_client, proposal_id, code)
        assert refused.status_code == 422, code
        assert "This code is not the one your app shows now." in refused.text
    assert written(app) == before and status(client, regulator, number) == "issued"
    clock.advance(seconds=61)  # four wrong codes make the login wait, as four wrong sign-ins do
    fresh = second.code(clock)
    assert approve(second_client, proposal_id, fresh).status_code == 303
    # and a code that approved is spent too
    assert approve(second_client, proposal_id, fresh).status_code == 409


def test_the_proposer_cannot_approve_but_may_withdraw(
    app: Flask, client: FlaskClient, officer_client: FlaskClient, officer: Someone,
    regulator: dict[str, str], number: str, clock: Clock,
) -> None:  # fmt: skip
    proposal_id = propose_revocation(officer_client, number)
    page = officer_client.get(f"/console/proposals/{proposal_id}")
    assert "Approve and record the decision" not in page.text
    assert "Withdraw the proposal" in page.text
    refused = approve(officer_client, proposal_id, officer.code(clock))
    assert refused.status_code == 403
    assert status(client, regulator, number) == "issued"
    path = f"/console/proposals/{proposal_id}/withdraw"
    withdrawn = client_post(officer_client, proposal_id, path, {})
    assert withdrawn.status_code == 303
    assert "You withdrew the proposal." in officer_client.get(withdrawn.headers["Location"]).text
    with app.app_context():
        from licensing.models import Proposal, db

        assert db.session.get(Proposal, proposal_id).state == "withdrawn"


@pytest.mark.parametrize("name", ["aigerim", "AIGERIM", " Aigerim"])
def test_a_token_named_like_the_proposer_but_for_case_cannot_approve(
    app: Flask,
    client: FlaskClient,
    officer_client: FlaskClient,
    regulator: dict[str, str],
    number: str,
    name: str,
) -> None:
    proposal_id = propose_revocation(officer_client, number)  # by Aigerim, in the console
    own = bearer(app, "regulator", name=name)
    answer = client.post(f"{API}/proposals/{proposal_id}/approve", headers=own)
    # the trail would read the proposal by "Aigerim" approved by "aigerim": the same officer
    assert answer.status_code == 403
    assert status(client, regulator, number) == "issued"


def test_another_officer_rejects_with_a_reason(
    app: Flask, client: FlaskClient, officer_client: FlaskClient, second_client: FlaskClient,
    regulator: dict[str, str], number: str,
) -> None:  # fmt: skip
    proposal_id = propose_revocation(officer_client, number)
    path = f"/console/proposals/{proposal_id}/reject"
    blank = client_post(second_client, proposal_id, path, {"rejection_reason": "  "})
    assert blank.status_code == 422 and "Say why the proposal is rejected." in blank.text
    done = client_post(second_client, proposal_id, path, {"rejection_reason": "Основания нет."})
    assert done.status_code == 303
    page = second_client.get(f"/console/proposals/{proposal_id}").text
    assert "Rejected" in page and "Основания нет." in page
    assert status(client, regulator, number) == "issued"


def client_post(client: FlaskClient, proposal_id: int, path: str, data: dict[str, str]) -> Any:
    token = csrf_token(client, f"/console/proposals/{proposal_id}")
    return client.post(path, data={**data, "csrf_token": token})


def test_auditors_see_proposals_and_outcomes_but_cannot_decide(
    app: Flask, client: FlaskClient, officer_client: FlaskClient, auditor_client: FlaskClient,
    regulator: dict[str, str], number: str, clock: Clock, auditor_person: Someone,
) -> None:  # fmt: skip
    proposal_id = propose_revocation(officer_client, number)
    page = auditor_client.get(f"/console/proposals/{proposal_id}")
    assert page.status_code == 200
    assert "Awaiting approval" in page.text and "Approve and record" not in page.text
    listing = auditor_client.get("/console/proposals?state=pending")
    assert f"/console/proposals/{proposal_id}" in listing.text
    token = csrf_token(auditor_client, f"/console/proposals/{proposal_id}")
    for act in ("approve", "reject", "withdraw"):
        answer = auditor_client.post(
            f"/console/proposals/{proposal_id}/{act}",
            data={"code": "123456", "rejection_reason": "x", "csrf_token": token},
        )
        assert answer.status_code == 403, act
    assert status(client, regulator, number) == "issued"


def test_forms_of_proposals_without_a_token_are_refused(
    app: Flask, client: FlaskClient, officer_client: FlaskClient, second_client: FlaskClient,
    second: Someone, regulator: dict[str, str], number: str, clock: Clock,
) -> None:  # fmt: skip
    proposal_id = propose_revocation(officer_client, number)
    for act, data in (
        ("approve", {"code": second.code(clock)}),
        ("reject", {"rejection_reason": "x"}),
    ):
        assert (
            second_client.post(f"/console/proposals/{proposal_id}/{act}", data=data).status_code
            == 400
        )
    forged = {"code": second.code(clock), "csrf_token": "forged"}
    assert (
        second_client.post(f"/console/proposals/{proposal_id}/approve", data=forged).status_code
        == 400
    )
    assert officer_client.post(f"/console/proposals/{proposal_id}/withdraw").status_code == 400
    assert status(client, regulator, number) == "issued"
    # signed out: sent to sign in (GET) or refused (POST)
    stranger = english(app.test_client())
    assert stranger.get(f"/console/proposals/{proposal_id}").status_code == 302
    assert stranger.post(f"/console/proposals/{proposal_id}/approve").status_code in (400, 401)


def test_a_second_proposal_on_the_licence_shows_the_pending_one(
    officer_client: FlaskClient, second_client: FlaskClient, number: str
) -> None:
    proposal_id = propose_revocation(officer_client, number)
    path = f"/console/licences/{number}/revoke"
    review = post_form(second_client, path, REVOCATION)
    again = post_form(
        second_client, path, {**REVOCATION, "confirm": "1", "form_key": form_key(review)}
    )
    assert again.status_code == 409
    assert "already has a proposal awaiting approval" in again.text
    assert f"Proposal {proposal_id}" in again.text


def test_approving_after_the_licence_changed_records_nothing_and_shows_it_stale(
    app: Flask, client: FlaskClient, officer_client: FlaskClient, second_client: FlaskClient,
    second: Someone, regulator: dict[str, str], number: str, clock: Clock,
) -> None:  # fmt: skip
    proposal_id = propose_revocation(officer_client, number)
    client.patch(f"{API}/licences/{number}", json={"capacity_mw": "30"},
                 headers={**regulator, "If-Match": '"1"'})  # fmt: skip
    answer = approve(second_client, proposal_id, second.code(clock))
    assert answer.status_code == 409
    assert "Stale: the licence changed since" in answer.text
    assert status(client, regulator, number) == "issued"


def test_every_state_of_a_proposal_has_its_words() -> None:
    assert set(labels.PROPOSAL_STATE_WORDS) == set(proposals.STATES)
