from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.factories import API, OTHER_BIN, VALID_BIN, act, issue

Tokens = dict[str, dict[str, str]]


@pytest.fixture
def register(client: FlaskClient, regulator: dict[str, str]) -> list[str]:
    """Five licences: two of VALID_BIN's holder, three of others, one suspended, one revoked."""
    numbers = [
        issue(client, regulator)["number"],
        issue(client, regulator, region="karaganda", holder_name="ТОО «Сарыарка Компьют»",
              holder_bin=OTHER_BIN)["number"],
        issue(client, regulator, holder_name="Altai Green Mining LLP", region="east_kazakhstan",
              holder_bin=OTHER_BIN)["number"],
        issue(client, regulator, capacity_mw="5")["number"],
        issue(client, regulator, holder_bin=OTHER_BIN, holder_name="ТОО «Жетысу_Энерго»")["number"],
    ]  # fmt: skip
    act(client, regulator, numbers[1], "suspend")
    act(client, regulator, numbers[2], "revoke")
    return numbers


def numbers_of(response: object) -> list[str]:
    return [item["number"] for item in response.get_json()["items"]]  # type: ignore[attr-defined]


def test_one_licence_has_its_version_as_etag(
    client: FlaskClient, regulator: dict[str, str], register: list[str]
) -> None:
    response = client.get(f"{API}/licences/{register[1]}", headers=regulator)
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert response.get_json()["allowed_actions"] == ["resume", "revoke", "amend"]


def test_a_current_copy_gets_304(
    client: FlaskClient, regulator: dict[str, str], register: list[str]
) -> None:
    url = f"{API}/licences/{register[0]}"
    assert client.get(url, headers={**regulator, "If-None-Match": '"1"'}).status_code == 304
    assert client.get(url, headers={**regulator, "If-None-Match": '"0"'}).status_code == 200


def test_list_is_paginated_with_a_total(
    client: FlaskClient, regulator: dict[str, str], register: list[str]
) -> None:
    first = client.get(f"{API}/licences?page_size=2", headers=regulator).get_json()
    last = client.get(f"{API}/licences?page_size=2&page=3", headers=regulator).get_json()
    beyond = client.get(f"{API}/licences?page_size=2&page=9", headers=regulator).get_json()
    whole = client.get(f"{API}/licences?page_size=5", headers=regulator).get_json()
    assert (first["total"], first["page"], first["page_size"]) == (5, 1, 2)
    assert [i["number"] for i in first["items"]] == register[:2]
    assert [i["number"] for i in last["items"]] == register[4:] and last["total"] == 5
    assert beyond["items"] == [] and beyond["total"] == 5
    assert len(whole["items"]) == 5 and whole["total"] == 5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=suspended", [1]),
        ("status=revoked", [2]),
        ("status=issued", [0, 3, 4]),
        (f"holder_bin={OTHER_BIN}", [1, 2, 4]),
        ("region=karaganda", [1]),
        ("q=сарыарка", [1]),  # Cyrillic, any case
        ("q=САРЫАРКА", [1]),
        ("q=altai", [2]),
        ("q=_", [4]),  # LIKE wildcards are literal
        ("q=%25", []),
        ("q=dm-2026-00000", [0, 1, 2, 3, 4]),
        (f"holder_bin={OTHER_BIN}&status=issued", [4]),
    ],
)
def test_list_filters(
    client: FlaskClient,
    regulator: dict[str, str],
    register: list[str],
    query: str,
    expected: list[int],
) -> None:
    response = client.get(f"{API}/licences?{query}", headers=regulator)
    assert response.status_code == 200
    assert numbers_of(response) == [register[i] for i in expected]
    assert response.get_json()["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=expired", "status"),
        ("region=atlantis", "region"),
        ("overdue=maybe", "overdue"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("colour=red", "colour"),
    ],
)
def test_bad_list_queries_are_422_naming_the_parameter(
    client: FlaskClient, regulator: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"{API}/licences?{query}", headers=regulator)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_miner_sees_only_its_own_licences(
    client: FlaskClient, token: object, register: list[str]
) -> None:
    miner = token("miner", bin=VALID_BIN)  # type: ignore[operator]
    listed = client.get(f"{API}/licences", headers=miner)
    assert numbers_of(listed) == [register[0], register[3]]
    assert numbers_of(client.get(f"{API}/licences?holder_bin={OTHER_BIN}", headers=miner)) == []
    assert client.get(f"{API}/licences/{register[0]}", headers=miner).status_code == 200
    assert client.get(f"{API}/licences/{register[0]}/history", headers=miner).status_code == 200


@pytest.mark.parametrize("suffix", ["", "/history"])
def test_another_holders_licence_does_not_exist_for_a_miner(
    client: FlaskClient, token: object, register: list[str], suffix: str
) -> None:
    miner = token("miner", bin=VALID_BIN)  # type: ignore[operator]
    response = client.get(f"{API}/licences/{register[1]}{suffix}", headers=miner)
    assert response.status_code == 404
    unknown = client.get(f"{API}/licences/DM-2026-999999{suffix}", headers=miner)
    assert response.get_json()["detail"].replace(register[1], "N") == unknown.get_json()[
        "detail"
    ].replace("DM-2026-999999", "N")


def test_an_auditor_reads_everything(
    client: FlaskClient, token: object, register: list[str]
) -> None:
    auditor = token("auditor")  # type: ignore[operator]
    assert client.get(f"{API}/licences", headers=auditor).get_json()["total"] == 5
    history = client.get(f"{API}/licences/{register[1]}/history", headers=auditor).get_json()
    assert [e["action"] for e in history["items"]] == ["issue", "suspend"]
