"""`db upgrade` builds the same schema the models describe, on an empty database, and undoes it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, text

from licensing.models import db, on_database
from tests.conftest import POSTGRES_URL


def test_the_migrations_match_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda item, *_: on_database(item, connection.dialect.name),
            },
        )
        assert compare_metadata(context, db.metadata) == []


def test_the_chain_starts_at_the_genesis_head(app: Flask) -> None:
    with app.app_context():
        head = db.session.execute(text("SELECT id, seq, hash, at FROM audit_head")).all()
    assert [tuple(r) for r in head] == [(1, 0, "0" * 64, None)]


@pytest.mark.skipif(POSTGRES_URL is not None, reason="runs on a scratch SQLite file")
def test_upgrade_builds_an_empty_sqlite_file_and_downgrade_removes_everything(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(LICENSING_DATABASE_URL=f"sqlite:///{tmp_path}/scratch.sqlite")
    with app.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"licences", "audit_events", "audit_head", "api_tokens"} <= tables
        flask_migrate.downgrade(revision="base")
        db.session.remove()
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        flask_migrate.upgrade()
        assert "audit_events" in inspect(db.engine).get_table_names()


def test_every_event_key_has_its_column() -> None:
    from licensing.domain.chain import EVENT_FIELDS
    from licensing.models import AuditEvent

    columns = set(AuditEvent.__table__.columns.keys())
    assert {field.attribute for field in EVENT_FIELDS} | {"line"} == columns
    for field in EVENT_FIELDS:
        assert AuditEvent.__table__.columns[field.attribute].nullable == field.nullable, field


@pytest.mark.skipif(POSTGRES_URL is not None, reason="runs on a scratch SQLite file")
def test_a_trail_written_before_the_schema_left_actions_to_the_machine_moves_over_whole(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    # SQLite rebuilds audit_events to drop its CHECK on `action`: every event must come through
    # byte for byte, and the table must stay append-only
    from tests.factories import chain_holds
    from tests.synthetic import fill

    app = make_app(LICENSING_DATABASE_URL=f"sqlite:///{tmp_path}/before.sqlite")
    lines = text(
        "SELECT group_concat(line, char(10)) FROM (SELECT line FROM audit_events ORDER BY seq)"
    )
    with app.app_context():
        flask_migrate.upgrade(revision="0004")
        fill(db.engine, 600, licences=50)
        before = db.session.scalar(lines)
        db.session.remove()
        flask_migrate.upgrade()
        assert db.session.scalar(lines) == before
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("audit_events")}
        assert {
            "ix_audit_events_licence",
            "ix_audit_events_action",
            "ix_audit_events_at",
        } <= indexes
        for refused in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(Exception, match="append-only"), db.engine.begin() as connection:
                connection.execute(text(refused))
    assert chain_holds(app)
