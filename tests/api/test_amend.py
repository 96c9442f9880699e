from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import API, act, bearer, written


def patch(
    client: FlaskClient, headers: dict[str, str], number: str, body: Any, etag: str | None = '"1"'
):  # type: ignore[no-untyped-def]
    extra = {"If-Match": etag} if etag is not None else {}
    return client.patch(f"{API}/licences/{number}", json=body, headers={**headers, **extra})


def test_amending_changes_details_bumps_the_version_and_records_old_and_new(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    response = patch(
        client, regulator, number,
        {"capacity_mw": "30", "region": "karaganda", "reason": "Расширение мощности"},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.get_json()
    assert (body["capacity_mw"], body["region"], body["version"]) == ("30", "karaganda", 2)
    assert response.headers["ETag"] == '"2"'
    history = client.get(f"{API}/licences/{number}/history", headers=regulator).get_json()["items"]
    amend = history[-1]
    assert (amend["action"], amend["from"], amend["to"]) == ("amend", "issued", "issued")
    assert amend["data"] == {"capacity_mw": ["12.5", "30"], "region": ["pavlodar", "karaganda"]}
    assert amend["reason"] == "Расширение мощности" and amend["reason_code"] is None


def test_amending_without_if_match_is_428(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    response = patch(client, regulator, number, {"capacity_mw": "30"}, etag=None)
    assert response.status_code == 428
    assert response.mimetype == "application/problem+json"
    assert written(app)[1] == 1


@pytest.mark.parametrize("etag", ['"7"', '"abc"', 'W/"1"'])
def test_amending_a_stale_copy_is_412(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str, etag: str
) -> None:
    response = patch(client, regulator, number, {"capacity_mw": "30"}, etag=etag)
    assert response.status_code == 412
    assert response.get_json()["current_version"] == 1
    assert written(app)[1] == 1


def test_two_regulators_never_overwrite_each_other(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    alice, bob = regulator, bearer(app, "regulator", name="bob")
    assert patch(client, alice, number, {"capacity_mw": "30"}).status_code == 200
    late = patch(client, bob, number, {"capacity_mw": "40"})  # bob read version 1 too
    assert late.status_code == 412
    assert client.get(f"{API}/licences/{number}", headers=alice).get_json()["capacity_mw"] == "30"


def test_if_match_star_accepts_any_version(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    assert (
        patch(client, regulator, number, {"site_address": "новый адрес"}, etag="*").status_code
        == 200
    )


def test_amending_a_revoked_licence_is_409(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    act(client, regulator, number, "revoke")
    response = patch(client, regulator, number, {"capacity_mw": "30"}, etag='"2"')
    assert response.status_code == 409
    assert response.get_json()["current_status"] == "revoked"
    assert written(app)[1] == 2


def test_amending_a_suspended_licence_keeps_its_status(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    act(client, regulator, number, "suspend")
    body = patch(
        client, regulator, number, {"holder_name": "ТОО «Новое имя»"}, etag='"2"'
    ).get_json()
    assert (body["status"], body["holder_name"]) == ("suspended", "ТОО «Новое имя»")


def test_sending_the_same_values_changes_nothing(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    response = patch(client, regulator, number, {"capacity_mw": "12.500", "region": "pavlodar"})
    assert response.status_code == 200
    assert response.get_json()["version"] == 1
    assert written(app)[1] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"reason": "nothing else"}, "body"),
        ({"holder_bin": "170646409046"}, "holder_bin"),
        ({"expires_on": "2035-01-01"}, "expires_on"),
        ({"status": "revoked"}, "status"),
        ({"capacity_mw": "0"}, "capacity_mw"),
        ({"holder_name": ""}, "holder_name"),
        ({"region": "atlantis"}, "region"),
        ({"passport_copy": "base64..."}, "passport_copy"),
    ],
)
def test_bad_amendments_are_422_naming_the_field(
    app: Flask,
    client: FlaskClient,
    regulator: dict[str, str],
    number: str,
    body: dict[str, Any],
    field: str,
) -> None:
    response = patch(client, regulator, number, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert written(app)[1] == 1
