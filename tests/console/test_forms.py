"""The console's forms: decisions recorded through the same use cases as the API, conflicts shown,
double posts made once, roles enforced, text escaped."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.console.conftest import Someone, csrf_token, form_key, post_form, sign_in
from tests.factories import API, chain_holds, decision, written

DECISION = {
    "reason_code": "violation_remedied",
    "reason": "Нарушение устранено.",
    "legal_basis": "Закон РК «О цифровых активах», ст. 9",
    "decision_number": "17-ЛЦ/2026",
    "decision_by": "licensor",
}


def suspend_by_api(client: FlaskClient, regulator: dict[str, str], number: str) -> None:
    answer = client.post(
        f"{API}/licences/{number}/suspend", json=decision("suspend"), headers=regulator
    )
    assert answer.status_code == 200, answer.json


def review(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    page = post_form(client, path, data)
    assert page.status_code == 200, page.text[:2000]
    return page


def history(client: FlaskClient, regulator: dict[str, str], number: str) -> list[dict[str, Any]]:
    return client.get(f"{API}/licences/{number}/history", headers=regulator).json["items"]


def test_an_officer_resumes_an_overdue_suspension_with_a_decision(
    client: FlaskClient, officer_client: FlaskClient, regulator: dict[str, str], number: str,
    clock: Clock, officer: Someone,
) -> None:  # fmt: skip
    suspend_by_api(client, regulator, number)
    clock.advance(days=70)  # past the suspension's end
    sign_in(officer_client, officer, clock)
    board = officer_client.get("/console/")
    overdue = board.text.split('id="overdue"')[1].split("</section>")[0]
    assert number in overdue
    path = f"/console/licences/{number}/resume"
    data = {**DECISION, "decision_date": "2026-05-19", "version": "2"}
    page = review(officer_client, path, data)
    assert "17-ЛЦ/2026" in page.text and "violation_remedied" in page.text
    done = post_form(officer_client, path, {**data, "confirm": "1", "form_key": form_key(page)})
    assert done.status_code == 303
    last = history(client, regulator, number)[-1]
    assert (last["action"], last["actor"], last["role"]) == ("resume", "Aigerim", "regulator")
    assert last["data"]["decision"] == {
        "number": "17-ЛЦ/2026",
        "date": "2026-05-19",
        "by": "licensor",
    }
    assert chain_holds(client.application)


def test_a_form_posted_twice_makes_one_change(
    client: FlaskClient, officer_client: FlaskClient, regulator: dict[str, str], number: str,
    app: Flask,
) -> None:  # fmt: skip
    suspend_by_api(client, regulator, number)
    path = f"/console/licences/{number}/resume"
    data = {**DECISION, "decision_date": "2026-03-10", "version": "2"}
    key = form_key(review(officer_client, path, data))
    before = written(app)
    for _ in range(2):
        answer = post_form(officer_client, path, {**data, "confirm": "1", "form_key": key})
        assert answer.status_code == 303
    assert written(app) == (before[0], before[1] + 1)


def test_a_change_made_meanwhile_is_shown_as_a_conflict_with_both_versions(
    client: FlaskClient, officer_client: FlaskClient, regulator: dict[str, str], number: str,
    app: Flask,
) -> None:  # fmt: skip
    path = f"/console/licences/{number}/suspend"
    data = {**DECISION, "reason_code": "violation_found", "until": "2026-05-10",
            "decision_date": "2026-03-10", "version": "1"}  # fmt: skip
    key = form_key(review(officer_client, path, data))
    suspend_by_api(client, regulator, number)  # another officer, meanwhile
    before = written(app)
    answer = post_form(officer_client, path, {**data, "confirm": "1", "form_key": key})
    assert answer.status_code == 409
    assert "version 1" in answer.text and "version 2" in answer.text
    assert written(app) == before


def test_a_stale_amendment_is_a_conflict_too(
    client: FlaskClient, officer_client: FlaskClient, regulator: dict[str, str], number: str,
    app: Flask,
) -> None:  # fmt: skip
    client.patch(f"{API}/licences/{number}", json={"capacity_mw": "20"},
                 headers={**regulator, "If-Match": '"1"'})  # fmt: skip
    form = {"holder_name": "ТОО Новое", "subtype": "I", "site_address": "x street 1",
            "region": "pavlodar", "capacity_mw": "12.5", "reason": "", "legal_basis": "",
            "version": "1", "confirm": "1"}  # fmt: skip
    before = written(app)
    answer = post_form(officer_client, f"/console/licences/{number}/amend", form)
    assert answer.status_code == 409 and written(app) == before


def test_an_auditors_session_posting_a_regulators_form_is_refused(
    auditor_client: FlaskClient, number: str, app: Flask
) -> None:
    before = written(app)
    path = f"/console/licences/{number}/suspend"
    token_page = "/console/"
    data = {**DECISION, "reason_code": "violation_found", "until": "2026-05-10",
            "decision_date": "2026-03-10", "version": "1", "confirm": "1",
            "form_key": "k" * 30, "csrf_token": csrf_token(auditor_client, token_page)}  # fmt: skip
    assert auditor_client.post(path, data=data).status_code == 403
    assert auditor_client.get(path).status_code == 403
    assert written(app) == before


def test_an_expired_session_posting_a_form_changes_nothing(
    officer_client: FlaskClient, number: str, app: Flask, clock: Clock
) -> None:
    token = csrf_token(officer_client, f"/console/licences/{number}/revoke")
    clock.advance(hours=1)
    before = written(app)
    answer = officer_client.post(
        f"/console/licences/{number}/revoke",
        data={**DECISION, "reason_code": "court_order", "decision_by": "court",
              "decision_date": "2026-03-10", "version": "1", "csrf_token": token},
    )  # fmt: skip
    assert answer.status_code in (302, 303, 400, 401) and written(app) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"decision_date": "2026-03-11"}, "decision_date", "in the future"),
        ({"decision_date": "10.03.2026"}, "decision_date", "YYYY-MM-DD"),
        ({"decision_by": "court"}, "decision_by", "court_order"),
        ({"reason_code": "court_order"}, "decision_by", "court_order"),
        ({"decision_number": ""}, "decision_number", ""),
    ],
)
def test_a_bad_decision_is_refused_next_to_its_field(
    officer_client: FlaskClient, number: str, change: dict[str, str], field: str, message: str,
    app: Flask,
) -> None:  # fmt: skip
    data = {**DECISION, "reason_code": "unremedied_violation", "decision_by": "licensor",
            "decision_date": "2026-03-10", "version": "1", **change}  # fmt: skip
    before = written(app)
    answer = post_form(officer_client, f"/console/licences/{number}/revoke", data)
    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text and message in answer.text
    assert written(app) == before


def test_a_suspension_form_states_its_legal_window(
    officer_client: FlaskClient, number: str
) -> None:
    page = officer_client.get(f"/console/licences/{number}/suspend")
    assert "2026-04-10" in page.text and "2026-09-10" in page.text


def test_a_licence_page_offers_only_what_its_state_allows(
    client: FlaskClient, officer_client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    page = officer_client.get(f"/console/licences/{number}").text
    assert f"/console/licences/{number}/suspend" in page
    assert f"/console/licences/{number}/resume" not in page


def test_an_officer_issues_a_licence_after_confirming(
    officer_client: FlaskClient, app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    data = {"holder_name": "ТОО Степь", "holder_bin": "971240001315", "subtype": "II",
            "site_address": "Павлодар, участок 1", "region": "pavlodar", "capacity_mw": "3,5",
            "issued_on": "", "expires_on": ""}  # fmt: skip
    page = review(officer_client, "/console/licences/new", data)
    assert "2029-03-10" in page.text  # the term, filled in, shown before anything is recorded
    assert written(app) == (0, 0)
    done = post_form(officer_client, "/console/licences/new",
                     {**data, "confirm": "1", "form_key": form_key(page)})  # fmt: skip
    assert done.status_code == 303
    number = done.headers["Location"].rsplit("/", 1)[1]
    assert history(client, regulator, number)[0]["actor"] == "Aigerim"


SCRIPT = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_html_in_every_text_field_is_escaped_on_every_page(
    client: FlaskClient, officer_client: FlaskClient, auditor_client: FlaskClient,
    regulator: dict[str, str], number: str,
) -> None:  # fmt: skip
    body = {"holder_name": SCRIPT + " ТОО", "site_address": SCRIPT}
    answer = client.patch(
        f"{API}/licences/{number}", json=body, headers={**regulator, "If-Match": '"1"'}
    )
    assert answer.status_code == 200, answer.json
    path = f"/console/licences/{number}/suspend"
    data = {**DECISION, "reason_code": "violation_found", "until": "2026-05-10",
            "reason": SCRIPT, "legal_basis": SCRIPT, "decision_number": SCRIPT[:60],
            "decision_date": "2026-03-10", "version": "2"}  # fmt: skip
    pages = [review(officer_client, path, data)]
    pages.append(
        post_form(officer_client, path, {**data, "confirm": "1", "form_key": form_key(pages[0])})
    )
    pages.append(
        post_form(officer_client, path, {**data, "until": SCRIPT, "decision_date": SCRIPT})
    )
    for url in (
        "/console/",
        f"/console/licences/{number}",
        "/console/licences?q=%3Cscript%3E",
        "/console/audit?actor=%3Cscript%3E",
        f"/console/licences/{number}/amend",
    ):
        pages.append(officer_client.get(url))
    pages.append(auditor_client.get(f"/console/audit?licence={number}"))
    for page in pages:
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, page.request.path


def test_an_auditor_exports_downloads_the_checkpoint_and_verifies(
    auditor_client: FlaskClient, number: str
) -> None:
    csv = auditor_client.get("/console/audit/export/csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv" and number in csv.text
    ndjson = auditor_client.get(f"/console/audit/export/ndjson?licence={number}")
    assert ndjson.status_code == 200 and ndjson.text.count("\n") == 1
    jws = auditor_client.get("/console/audit/checkpoint")
    assert jws.status_code == 200 and jws.text.count(".") == 2
    result = post_form(auditor_client, "/console/audit/verify", {})
    assert "The chain and the register hold." in result.text


def test_a_regulator_cannot_export_or_verify_in_the_console(officer_client: FlaskClient) -> None:
    assert officer_client.get("/console/audit/export/csv").status_code == 403
    assert officer_client.get("/console/audit").status_code == 200
