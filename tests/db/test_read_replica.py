"""LICENSING_READ_DATABASE_URL: public lookups and the public register read from the replica;
writes and token-holders' reads stay on the system of record."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from licensing.models import db
from tests.conftest import POSTGRES_URL
from tests.factories import API, bearer, issue


@pytest.mark.skipif(POSTGRES_URL is not None, reason="the replica is a copy of a SQLite file")
def test_public_reads_come_from_the_replica_and_everything_else_from_the_primary(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    primary = make_app()
    client = primary.test_client()
    regulator = bearer(primary, "regulator")
    early = issue(client, regulator)["number"]
    with primary.app_context():
        db.engine.dispose()
    database = primary.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    shutil.copyfile(database, tmp_path / "replica.sqlite")  # a replica that stopped here

    app = make_app(LICENSING_READ_DATABASE_URL=f"sqlite:///{tmp_path}/replica.sqlite")
    client = app.test_client()
    late = issue(client, regulator)["number"]
    assert client.get(f"{API}/status/{early}").status_code == 200
    assert client.get(f"{API}/status/{late}").status_code == 404  # not on the replica yet
    listed = client.get(f"{API}/status").get_json()
    assert [item["number"] for item in listed["items"]] == [early]
    assert client.get(f"{API}/licences/{late}", headers=regulator).status_code == 200
