"""Fixtures the API tests share."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.factories import issue


@pytest.fixture
def number(client: FlaskClient, regulator: dict[str, str]) -> str:
    """A freshly issued licence's number."""
    return issue(client, regulator)["number"]
