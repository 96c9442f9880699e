from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import API, VALID_BIN, application, issue, written


def test_issuing_answers_201_with_location_etag_and_the_licence(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    response = client.post(f"{API}/licences", json=application(), headers=regulator)
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == "DM-2026-000001"
    assert response.headers["Location"] == f"{API}/licences/DM-2026-000001"
    assert response.headers["ETag"] == '"1"'
    assert {
        "status": "issued",
        "in_force": True,
        "overdue": False,
        "version": 1,
        "capacity_mw": "12.5",
        "issued_on": "2026-03-10",
        "expires_on": "2029-03-10",
        "suspended_until": None,
        "status_since": "2026-03-10T09:30:00.000000Z",
        "allowed_actions": ["suspend", "revoke", "amend"],
        "holder_bin": VALID_BIN,
    }.items() <= body.items()


def test_numbers_count_up_per_year_of_issue(client: FlaskClient, regulator: dict[str, str]) -> None:
    numbers = [issue(client, regulator)["number"] for _ in range(2)]
    numbers.append(issue(client, regulator, issued_on="2025-12-31")["number"])
    numbers.append(issue(client, regulator)["number"])
    assert numbers == ["DM-2026-000001", "DM-2026-000002", "DM-2025-000001", "DM-2026-000003"]


def test_issuing_appends_one_issue_event_with_the_new_fields(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator, capacity_mw=48)["number"]
    events = client.get(f"{API}/licences/{number}/history", headers=regulator).get_json()["items"]
    assert len(events) == 1
    event = events[0]
    assert (event["seq"], event["action"], event["from"], event["to"]) == (
        1,
        "issue",
        None,
        "issued",
    )
    assert event["data"] == {
        "holder_name": "ТОО «Экибастуз Цифровой Майнинг»",
        "holder_bin": VALID_BIN,
        "subtype": "I",
        "site_address": "г. Экибастуз, промзона ГРЭС-1, участок 14",
        "region": "pavlodar",
        "capacity_mw": "48",
        "issued_on": "2026-03-10",
        "expires_on": "2029-03-10",
    }
    assert event["actor"] == "regulator-1" and event["role"] == "regulator"
    assert event["prev"] == "0" * 64


def test_text_is_trimmed(client: FlaskClient, regulator: dict[str, str]) -> None:
    body = issue(client, regulator, holder_name="  ТОО «Альфа»  ")
    assert body["holder_name"] == "ТОО «Альфа»"


BAD_APPLICATIONS: list[tuple[dict[str, Any], str]] = [
    ({"holder_name": ...}, "holder_name"),
    ({"holder_name": ""}, "holder_name"),
    ({"holder_name": "   "}, "holder_name"),
    ({"holder_bin": ...}, "holder_bin"),
    ({"holder_bin": "97124000131"}, "holder_bin"),
    ({"holder_bin": "9712400013155"}, "holder_bin"),
    ({"holder_bin": "97124000131X"}, "holder_bin"),
    ({"holder_bin": "971240001316"}, "holder_bin"),
    ({"holder_bin": 971240001315}, "holder_bin"),
    ({"subtype": ...}, "subtype"),
    ({"subtype": "III"}, "subtype"),
    ({"site_address": ""}, "site_address"),
    ({"region": "atlantis"}, "region"),
    ({"capacity_mw": ...}, "capacity_mw"),
    ({"capacity_mw": "twelve"}, "capacity_mw"),
    ({"capacity_mw": "0"}, "capacity_mw"),
    ({"capacity_mw": -5}, "capacity_mw"),
    ({"capacity_mw": "10000.5"}, "capacity_mw"),
    ({"capacity_mw": "1e9"}, "capacity_mw"),
    ({"capacity_mw": "NaN"}, "capacity_mw"),
    ({"capacity_mw": True}, "capacity_mw"),
    ({"issued_on": "2026-03-11"}, "issued_on"),
    ({"issued_on": "10.03.2026"}, "issued_on"),
    ({"expires_on": "2030-01-01"}, "expires_on"),
    ({"identity_document_scan": "data:image/jpeg;base64,/9j/4AAQ"}, "identity_document_scan"),
    ({"passport_number": "N1234567"}, "passport_number"),
    ({"status": "revoked"}, "status"),
    ({"number": "DM-2026-999999"}, "number"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_APPLICATIONS)
def test_a_bad_application_is_a_422_naming_the_field_and_writes_nothing(
    app: Flask,
    client: FlaskClient,
    regulator: dict[str, str],
    overrides: dict[str, Any],
    field: str,
) -> None:
    response = client.post(f"{API}/licences", json=application(**overrides), headers=regulator)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422
    assert field in problem["errors"]
    assert written(app) == (0, 0)


def test_every_bad_field_is_reported_at_once(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    response = client.post(
        f"{API}/licences",
        json=application(holder_name="", holder_bin="1", capacity_mw="0", region="x", scan="..."),
        headers=regulator,
    )
    assert set(response.get_json()["errors"]) == {
        "holder_name", "holder_bin", "capacity_mw", "region", "scan",
    }  # fmt: skip


def test_a_number_field_is_accepted_for_capacity_and_kept_exact(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    assert issue(client, regulator, capacity_mw=0.1)["capacity_mw"] == "0.1"
    assert issue(client, regulator, capacity_mw="9999.999")["capacity_mw"] == "9999.999"
