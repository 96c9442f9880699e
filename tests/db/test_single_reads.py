"""Single public reads give the rows Core gives, on both databases."""

from __future__ import annotations

from flask import Flask

from licensing.models import db
from licensing.services import public, statements
from tests.factories import API, act, bearer, issue


def test_single_reads_give_what_core_gives(app: Flask) -> None:
    client = app.test_client()
    regulator = bearer(app, "regulator")
    numbers = [issue(client, regulator)["number"] for _ in range(2)]
    act(client, regulator, numbers[1], "suspend")
    client.get(f"{API}/status/{numbers[0]}")  # a connection of the pool has been used
    with app.app_context():
        for read in (public._LOOKUP, statements._FACTS):
            for number in [*numbers, "DM-2026-999999"]:
                expected = db.session.execute(read.statement, {"number": number}).one_or_none()
                got = read(number=number)
                assert (got and tuple(got)) == (expected and tuple(expected))
                if got is not None:
                    assert got._fields == tuple(expected._fields)
