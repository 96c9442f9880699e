from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.factories import API, TODAY, UNTIL, act, bearer, decision, issue, written


def test_suspending_records_until_and_takes_the_licence_out_of_force(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    response = act(client, regulator, number, "suspend")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "suspended"
    assert body["suspended_until"] == UNTIL
    assert body["in_force"] is False
    assert body["allowed_actions"] == ["resume", "revoke", "amend"]
    assert body["version"] == 2 and response.headers["ETag"] == '"2"'


def test_the_full_lifecycle_chains_five_events(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    for action in ("suspend", "resume", "suspend", "revoke"):
        assert act(client, regulator, number, action).status_code == 200
    events = client.get(f"{API}/licences/{number}/history", headers=regulator).get_json()["items"]
    assert [(e["action"], e["from"], e["to"]) for e in events] == [
        ("issue", None, "issued"),
        ("suspend", "issued", "suspended"),
        ("resume", "suspended", "resumed"),
        ("suspend", "resumed", "suspended"),
        ("revoke", "suspended", "revoked"),
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert all(later["prev"] == earlier["hash"] for earlier, later in itertools.pairwise(events))
    order = {"number": "17-ЛЦ/2026", "date": TODAY, "by": "licensor"}
    assert events[1]["data"] == {"until": UNTIL, "decision": order}
    assert events[2]["data"] == {"decision": order}
    assert events[4]["reason_code"] == "court_order"
    assert events[4]["data"] == {"decision": {**order, "by": "court"}}
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert (licence["status"], licence["allowed_actions"], licence["suspended_until"]) == (
        "revoked", [], None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ((), "resume"),
        (("suspend",), "suspend"),
        (("revoke",), "suspend"),
        (("revoke",), "resume"),
        (("revoke",), "revoke"),
        (("suspend", "resume"), "resume"),
    ],
)
def test_an_illegal_action_is_a_409_with_the_current_status_and_allowed_actions(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str,
    path: tuple[str, ...], action: str,
) -> None:  # fmt: skip
    for step in path:
        act(client, regulator, number, step)
    before = written(app)[1]
    response = act(client, regulator, number, action)
    assert response.status_code == 409
    problem = response.get_json()
    status = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert problem["current_status"] == status["status"]
    assert problem["allowed_actions"] == status["allowed_actions"]
    assert problem["type"] == "urn:licensing:problem:action-not-allowed"
    assert written(app)[1] == before


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("suspend", decision("suspend", until=...), "until"),
        ("suspend", decision("suspend", until="2026-03-01"), "until"),
        ("suspend", decision("suspend", until="2026-04-09"), "until"),
        ("suspend", decision("suspend", until="2026-09-11"), "until"),
        ("suspend", decision("suspend", until="soon"), "until"),
        ("suspend", decision("suspend", reason_code="violation_remedied"), "reason_code"),
        ("suspend", decision("suspend", reason_code=...), "reason_code"),
        ("suspend", decision("suspend", reason=""), "reason"),
        ("suspend", decision("suspend", reason=...), "reason"),
        ("suspend", decision("suspend", legal_basis=" "), "legal_basis"),
        ("suspend", decision("suspend", attachment="passport.pdf"), "attachment"),
        ("revoke", decision("revoke", reason_code="bored"), "reason_code"),
        ("revoke", decision("revoke", until=UNTIL), "until"),
    ],
)
def test_a_bad_decision_is_a_422_naming_the_field_and_changes_nothing(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str,
    action: str, body: dict[str, object], field: str,
) -> None:  # fmt: skip
    response = act(client, regulator, number, action, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert (licence["status"], licence["version"]) == ("issued", 1)
    assert written(app)[1] == 1


def test_resume_needs_a_resumption_reason_code(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    act(client, regulator, number, "suspend")
    response = act(
        client, regulator, number, "resume", decision("resume", reason_code="violation_found")
    )
    assert response.status_code == 422
    assert "violation_remedied" in response.get_json()["errors"]["reason_code"][0]


def test_configured_suspension_bounds_apply(make_app: Callable[..., Flask]) -> None:
    app = make_app(LICENSING_SUSPENSION_MIN_MONTHS="0", LICENSING_SUSPENSION_MAX_MONTHS="1")
    client, headers = app.test_client(), bearer(app, "regulator")
    number = issue(client, headers)["number"]
    assert act(client, headers, number, "suspend", decision(until="2026-05-10")).status_code == 422
    assert act(client, headers, number, "suspend", decision(until="2026-04-10")).status_code == 200


def test_an_overdue_suspension_is_flagged_listed_and_not_resumed_automatically(
    client: FlaskClient, regulator: dict[str, str], number: str, clock: Clock
) -> None:
    other = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend", decision(until="2026-04-10"))
    act(client, regulator, other, "suspend", decision(until="2026-06-10"))
    clock.advance(days=32)  # 2026-04-11 in Astana: the first suspension ended yesterday
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert (licence["status"], licence["overdue"], licence["in_force"]) == (
        "suspended",
        True,
        False,
    )
    overdue = client.get(f"{API}/licences?overdue=true", headers=regulator).get_json()
    assert [item["number"] for item in overdue["items"]] == [number]
    not_overdue = client.get(f"{API}/licences?overdue=false", headers=regulator).get_json()
    assert [item["number"] for item in not_overdue["items"]] == [other]
    assert act(client, regulator, number, "resume").status_code == 200


def test_a_licence_past_its_term_is_not_in_force(
    client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    number = issue(client, regulator, issued_on="2026-01-01", expires_on="2026-06-30")["number"]
    clock.advance(days=113)  # 2026-07-01
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert (licence["status"], licence["in_force"]) == ("issued", False)


def test_status_since_moves_only_on_status_changes(
    client: FlaskClient, regulator: dict[str, str], number: str, clock: Clock
) -> None:
    clock.advance(hours=1)
    act(client, regulator, number, "suspend")
    licence = client.get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert licence["status_since"] == "2026-03-10T10:30:00.000000Z"
    assert licence["created_at"] == "2026-03-10T09:30:00.000000Z"


def test_acting_on_an_unknown_licence_is_404(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    response = act(client, regulator, "DM-2026-999999", "suspend")
    assert response.status_code == 404
    assert response.get_json()["type"] == "urn:licensing:problem:licence-not-found"
