"""Public lookups and statements keep no ping per request: a connection that died with the
database is noticed by the read itself, and the read is made once more on a fresh one."""

from __future__ import annotations

import psycopg
import pytest
from flask import Flask

from licensing.models import db
from tests.conftest import POSTGRES_URL
from tests.factories import API, bearer, issue


@pytest.mark.skipif(POSTGRES_URL is None, reason="SQLite has no server to lose")
def test_public_reads_answer_at_once_after_their_connections_were_cut(app: Flask) -> None:
    client = app.test_client()
    number = issue(client, bearer(app, "regulator"))["number"]
    paths = (f"{API}/status/{number}", f"{API}/status/{number}/statement")
    for path in paths:  # the pools now hold open connections
        assert client.get(path).status_code == 200
    with app.app_context():  # the server ends this app's connections, as a restart would
        pids = []
        for engine in db.engines.values():
            pooled = engine.raw_connection()
            pids.append(pooled.dbapi_connection.info.backend_pid)  # type: ignore[union-attr]
            pooled.close()
    database = app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", "")
    with psycopg.connect(database, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    for path in paths:
        assert client.get(path).status_code == 200
