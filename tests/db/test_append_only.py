"""The database itself refuses to change or remove audit events, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from licensing.models import db
from tests.factories import issue


@pytest.fixture
def trail(client: FlaskClient, regulator: dict[str, str]) -> None:
    issue(client, regulator)
    issue(client, regulator)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET reason = 'rewritten' WHERE seq = 1",
        "UPDATE audit_events SET hash = prev",
        "DELETE FROM audit_events WHERE seq = 2",
        "DELETE FROM audit_events",
    ],
)
@pytest.mark.usefixtures("trail")
def test_update_and_delete_of_events_are_refused(app: Flask, statement: str) -> None:
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
        rows = db.session.execute(text("SELECT seq, reason FROM audit_events ORDER BY seq")).all()
    assert [tuple(r) for r in rows] == [(1, None), (2, None)]


@pytest.mark.usefixtures("trail")
def test_truncate_is_refused_on_postgresql(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no TRUNCATE")
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("TRUNCATE audit_events CASCADE"))
        db.session.rollback()
        assert db.session.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2


@pytest.mark.usefixtures("trail")
def test_appending_still_works(app: Flask, client: FlaskClient, regulator: dict[str, str]) -> None:
    issue(client, regulator)
    with app.app_context():
        assert db.session.execute(text("SELECT max(seq) FROM audit_events")).scalar() == 3
