"""Public lookups and statements keep no ping per request: a connection that died with the
database is noticed by the read itself, and the read is made once more on a fresh one."""

from __future__ import annotations

import psycopg
import pytest
from flask import Flask

from tests.conftest import POSTGRES_URL
from tests.factories import API, bearer, issue


@pytest.mark.skipif(POSTGRES_URL is None, reason="SQLite has no server to lose")
def test_public_reads_answer_at_once_after_their_connections_were_cut(app: Flask) -> None:
    client = app.test_client()
    number = issue(client, bearer(app, "regulator"))["number"]
    paths = (f"{API}/status/{number}", f"{API}/status/{number}/statement")
    for path in paths:  # the pools now hold open connections
        assert client.get(path).status_code == 200
    database = app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", "")
    with psycopg.connect(database, autocommit=True) as admin:  # as a restart would
        cut = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert cut is not None and cut[0] >= 1
    for path in paths:
        assert client.get(path).status_code == 200
