"""Status changes rest on a decision (the licensor's order or a court's), recorded in the trail,
shown on the public timeline; the reason-code catalogue is public."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import (
    API,
    TODAY,
    UNTIL,
    act,
    act_of,
    chain_holds,
    decision,
    issue,
    written,
)

ORDER = {"number": "17-ЛЦ/2026", "date": TODAY, "by": "licensor"}


def order(**overrides: Any) -> dict[str, Any]:
    """A decision dated TODAY (the tests' frozen date), with some fields changed or left out."""
    return act_of(**{"date": TODAY, **overrides})


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("suspend", decision(decision=...), "decision"),
        ("suspend", decision(decision=order(date="2026-03-11")), "decision.date"),
        ("suspend", decision(decision=order(date="2026-03-09")), "decision.date"),
        ("suspend", decision(decision=order(date="10.03.2026")), "decision.date"),
        ("suspend", decision(decision=order(by="court")), "decision.by"),
        ("suspend", decision(decision=order(by="ministry")), "decision.by"),
        ("revoke", decision("revoke", decision=order(by="licensor")), "decision.by"),
        (
            "revoke",
            decision("revoke", reason_code="holder_request", decision=order(by="court")),
            "decision.by",
        ),
        ("resume", decision("resume", decision=order(number="")), "decision.number"),
        ("resume", decision("resume", decision=order(number="x" * 65)), "decision.number"),
        ("resume", decision("resume", decision=order(number="17\u202e-ЛЦ")), "decision.number"),
        ("resume", decision("resume", decision=order(number="<b>1\n2</b>")), "decision.number"),
        ("resume", decision("resume", decision=order(number=...)), "decision.number"),
        ("resume", decision("resume", decision=order(extra="x")), "decision.extra"),
        ("resume", decision("resume", decision="17-ЛЦ"), "decision"),
    ],
)
def test_a_status_change_without_a_lawful_decision_is_refused_by_field(
    app: Flask,
    client: FlaskClient,
    regulator: dict[str, str],
    action: str,
    body: dict[str, Any],
    field: str,
) -> None:
    number = issue(client, regulator, issued_on=TODAY)["number"]  # so 2026-03-09 is before it
    if action == "resume":
        assert act(client, regulator, number, "suspend").status_code == 200
    before = written(app)
    response = act(client, regulator, number, action, body)
    assert response.status_code == 422, response.get_json()
    assert response.content_type == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]
    assert written(app) == before


def test_the_decision_is_recorded_in_the_event_and_the_chain_holds(
    app: Flask, client: FlaskClient, regulator: dict[str, str], auditor: dict[str, str], number: str
) -> None:
    order = {"number": "  № 17-ЛЦ/2026 ", "date": TODAY, "by": "licensor"}
    assert act(client, regulator, number, "suspend", decision(decision=order)).status_code == 200
    assert act(client, regulator, number, "revoke").status_code == 200
    events = client.get(f"{API}/licences/{number}/history", headers=auditor).get_json()["items"]
    assert events[1]["data"] == {
        "until": UNTIL,
        "decision": {"number": "№ 17-ЛЦ/2026", "date": TODAY, "by": "licensor"},
    }
    assert events[2]["data"] == {"decision": {**ORDER, "by": "court"}}
    assert chain_holds(app)


def test_a_decision_taken_the_day_the_licence_was_issued_is_accepted(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator, issued_on="2026-01-15")["number"]
    body = decision(decision=act_of(date="2026-01-15"))
    assert act(client, regulator, number, "suspend", body).status_code == 200


def test_a_false_information_revocation_rests_on_the_law(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    body = decision("revoke", reason_code="false_information")
    response = act(client, regulator, number, "revoke", body)
    assert response.status_code == 200 and response.get_json()["status"] == "revoked"


def test_the_reason_code_catalogue_is_public_in_three_languages(client: FlaskClient) -> None:
    response = client.get(f"{API}/reason-codes")
    assert response.status_code == 200
    items = {item["code"]: item for item in response.get_json()["items"]}
    assert set(items) >= {
        "violation_found",
        "court_order",
        "holder_request",
        "violation_remedied",
        "unremedied_violation",
        "holder_liquidated",
        "false_information",
    }
    false_information = items["false_information"]
    assert false_information["accepted_for"] == ["suspend", "revoke"]
    assert false_information["labels"]["ru"] == (
        "Представление недостоверных сведений для получения лицензии"
    )
    assert set(false_information["labels"]) == {"kk", "ru", "en"}
    assert false_information["article"]["en"].endswith("art. 9(4)")
    assert items["court_order"]["accepted_for"] == ["suspend", "resume", "revoke"]


def test_only_configured_codes_are_accepted(make_app: Any) -> None:
    app = make_app(LICENSING_REASON_CODES_REVOKE="false_information")
    client = app.test_client()
    from tests.factories import bearer

    regulator = bearer(app, "regulator")
    number = issue(client, regulator)["number"]
    items = {i["code"]: i for i in client.get(f"{API}/reason-codes").get_json()["items"]}
    assert items["court_order"]["accepted_for"] == ["suspend", "resume"]
    refused = act(client, regulator, number, "revoke")
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["reason_code"]


def test_the_public_timeline_shows_decisions_and_nothing_personal(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    assert act(client, regulator, number, "suspend").status_code == 200
    assert act(client, regulator, number, "resume").status_code == 200
    response = client.get(f"{API}/status/{number}/timeline")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["action"], i["from"], i["to"]) for i in items] == [
        ("issue", None, "issued"),
        ("suspend", "issued", "suspended"),
        ("resume", "suspended", "resumed"),
    ]
    assert items[1]["decision"] == ORDER and items[1]["until"] == UNTIL
    assert items[1]["reason_code"] == "violation_found" and items[1]["date"] == TODAY
    assert items[0]["decision"] is None
    assert set(items[1]) == {
        "at", "date", "action", "from", "to", "reason_code", "legal_basis", "until", "decision",
    }  # fmt: skip
    assert "regulator" not in response.get_data(as_text=True)


def test_the_timeline_of_an_unknown_licence_is_not_found(client: FlaskClient) -> None:
    assert client.get(f"{API}/status/DM-2026-999999/timeline").status_code == 404
