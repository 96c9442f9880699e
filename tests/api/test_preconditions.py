"""If-Match compares strongly and byte-exactly; odd values match nothing and never fail."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import API, act, issue, written

ODD = [
    '"0003"',
    '"03"',
    '"+3"',
    '"3 "',
    '"3.0"',
    'W/"3"',
    '""',
    "3",
    '"3',
    '"3"x',
    '"x,"3","y"',
    '"4", "0003"',
    "garbage",
    '"' + "9" * 4301 + '"',
    '"' + "3" * 20 + '"',
    f'"{2**63}"',
    "",
]


@pytest.fixture
def number(client: FlaskClient, regulator: dict[str, str]) -> str:
    """A licence at version 3."""
    number = issue(client, regulator)["number"]
    for capacity in ("20", "30"):
        amended = amend(client, regulator, number, "current", capacity)
        assert amended.status_code == 200, amended.get_json()
    return number


def amend(
    client: FlaskClient, headers: dict[str, str], number: str, if_match: str | None, capacity: str
) -> TestResponse:
    version = client.get(f"{API}/licences/{number}", headers=headers).headers["ETag"]
    extra = {} if if_match is None else {"If-Match": if_match if if_match != "current" else version}
    return client.patch(
        f"{API}/licences/{number}", json={"capacity_mw": capacity}, headers={**headers, **extra}
    )


def test_the_licence_is_at_version_3(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    assert client.get(f"{API}/licences/{number}", headers=regulator).headers["ETag"] == '"3"'


@pytest.mark.parametrize("if_match", ['"3"', '"7", "3"', ' "3" ', "*", 'W/"3", "3"'])
def test_the_current_version_or_a_star_matches(
    client: FlaskClient, regulator: dict[str, str], number: str, if_match: str
) -> None:
    assert amend(client, regulator, number, if_match, "40").status_code == 200


@pytest.mark.parametrize("if_match", ODD)
def test_an_odd_if_match_on_an_amendment_matches_nothing(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str, if_match: str
) -> None:
    before = written(app)
    response = amend(client, regulator, number, if_match, "40")
    assert response.status_code == 412
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["current_version"] == 3
    assert written(app) == before


@pytest.mark.parametrize("if_match", ODD)
def test_an_odd_if_match_on_an_action_matches_nothing(
    app: Flask, client: FlaskClient, regulator: dict[str, str], number: str, if_match: str
) -> None:
    before = written(app)
    response = act(client, regulator, number, "suspend", **{"If-Match": if_match})
    assert response.status_code == 412
    assert written(app) == before


def test_an_amendment_without_if_match_is_still_428(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    assert amend(client, regulator, number, None, "40").status_code == 428


def test_an_action_without_if_match_is_still_taken(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    assert act(client, regulator, number, "suspend").status_code == 200
