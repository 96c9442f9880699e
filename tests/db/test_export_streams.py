"""Exports stream from one snapshot without holding the trail in memory, write the same bytes on
both databases, and leave nothing behind when a client goes away mid-stream."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.domain.exports import CSV_COLUMNS
from licensing.models import db
from licensing.services import audit_trail
from licensing.services.audit_trail import CHUNK_BYTES, TrailFilters
from tests.factories import API, act, decision, issue
from tests.synthetic import fill

TRICKY = [
    '=SUM(A1:A9), "quoted", and a comma',
    "+7 (7172) 00-00-00",
    "-minus",
    "@mention",
    "\tstarts with a tab",
    "line one\r\nline two",
    "emoji 🙂 and Қазақша әріптер",
    'back\\slash and "quotes"',
]


@pytest.fixture
def tricky_trail(client: FlaskClient, regulator: dict[str, str]) -> None:
    for reason in TRICKY:
        number = issue(client, regulator)["number"]
        act(client, regulator, number, "suspend", decision(reason=reason, legal_basis=reason))
        client.patch(f"{API}/licences/{number}", json={"capacity_mw": "7"},
                     headers={**regulator, "If-Match": '"2"'})  # fmt: skip


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
@pytest.mark.usefixtures("tricky_trail")
def test_postgresql_copy_writes_the_same_bytes_as_the_portable_path(app: Flask, fmt: str) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("compares PostgreSQL's COPY with the path SQLite takes")
        for filters in (TrailFilters(), TrailFilters(action="suspend", after_seq=4)):
            copied = b"".join(b.data for b in audit_trail._copy_out(engine, filters, fmt))
            fetched = b"".join(b.data for b in audit_trail._fetch_out(engine, filters, fmt))
            assert copied == fetched
            assert len(copied) > 100


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_a_large_export_comes_in_bounded_batches(app: Flask, fmt: str) -> None:
    with app.app_context():
        fill(db.engine, 3000)
        batches = list(audit_trail.export(TrailFilters(), fmt))
    assert sum(b.events for b in batches) == 3000
    assert len(batches) > 10
    assert max(len(b.data) for b in batches) < CHUNK_BYTES + 4096
    if fmt == "csv":
        assert batches[0].data == (",".join(CSV_COLUMNS) + "\n").encode()


def test_a_stream_closed_early_releases_its_connection(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    with app.app_context():
        fill(db.engine, 3000)
        stream = audit_trail.export(TrailFilters(), "ndjson")
        next(stream)
        stream.close()  # what a WSGI server does when the client goes away
        pool = db.engine.pool
        assert pool.checkedout() == 0
    assert issue(client, regulator)["number"]  # the register still takes writes
