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


def test_the_tree_rows_read_in_one_statement_are_what_core_reads(app: Flask) -> None:
    import json

    from sqlalchemy import select

    from licensing.models import LogNode
    from licensing.services import transparency

    client = app.test_client()
    regulator = bearer(app, "regulator")
    for _ in range(5):
        issue(client, regulator)
    with app.app_context():
        dialect = db.engine.dialect.name
        read = transparency._NODES[dialect]
        for leaves in ([], [0], [4, 1, 3], [2, 99]):
            given = leaves if dialect == "postgresql" else json.dumps(leaves)
            got = sorted(tuple(row) for row in read.rows(leaves=given))
            core = select(LogNode.leaf, LogNode.hashes).where(LogNode.leaf.in_(leaves))
            expected = sorted(tuple(row) for row in db.session.execute(core))
            assert got == expected
            assert all(isinstance(hashes, bytes) for _, hashes in got)


def test_the_feeds_pages_read_as_tuples_are_what_core_reads(app: Flask) -> None:
    from licensing.services import changes

    client = app.test_client()
    regulator = bearer(app, "regulator")
    numbers = [issue(client, regulator, region=r)["number"] for r in ("abai", "pavlodar", "abai")]
    act(client, regulator, numbers[0], "suspend")
    with app.app_context():
        for (licence, region), read in changes._PAGES.items():
            given = {"after": 1, "limit": 3}
            if licence:
                given["licence"] = numbers[0]
            if region:
                given["region"] = "abai"
            expected = [tuple(row) for row in db.session.execute(read.statement, given)]
            assert read.tuples(**given) == expected
            assert all(type(row) is tuple for row in read.tuples(**given))
