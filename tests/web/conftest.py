"""Fixtures the page tests share: a few licences to find, and a way to read a page."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import act, issue


def page(client: FlaskClient, path: str, status: int = 200, **headers: str) -> TestResponse:
    """GET `path` as a browser would and check it answered `status` with an HTML page."""
    response = client.get(path, headers={"Accept": "text/html", **headers})
    assert response.status_code == status, (path, response.status_code)
    assert response.mimetype == "text/html"
    return response


@pytest.fixture
def suspended(client: FlaskClient, regulator: dict[str, str]) -> str:
    """A suspended licence's number (until 2026-05-10)."""
    number = issue(client, regulator, holder_name="ТОО «Степной Хеш»")["number"]
    assert act(client, regulator, number, "suspend").status_code == 200
    return number


@pytest.fixture
def in_force(client: FlaskClient, regulator: dict[str, str]) -> str:
    """A licence in force, subtype II, in Almaty."""
    return issue(
        client, regulator, holder_name="Alatau Compute LLP", subtype="II", region="almaty"
    )["number"]
