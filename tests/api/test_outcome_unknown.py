"""A write whose connection is lost during COMMIT cannot know whether it was recorded (the commit
may have reached the database, or a standby promoted since): it says so, and not "nothing was
written", and a repeat with the same Idempotency-Key settles it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from licensing.models import db
from tests.factories import API, application, written


def _lose_the_connection_at_the_next_write_commit(app: Flask) -> None:
    """The next COMMIT of a transaction that wrote fails as a lost connection does, before it
    reaches the database."""
    with app.app_context():
        engine = db.engine
    wrote = []

    def _statement(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        wrote.append(statement.lstrip().upper().startswith(("INSERT", "UPDATE", "WITH")))

    def _commit(connection: Any) -> None:
        if not any(wrote):
            return
        event.remove(engine, "commit", _commit)
        event.remove(engine, "before_cursor_execute", _statement)
        raise OperationalError(
            "COMMIT", {}, Exception("server closed the connection unexpectedly"),
            connection_invalidated=True,
        )  # fmt: skip

    event.listen(engine, "before_cursor_execute", _statement)
    event.listen(engine, "commit", _commit)


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_a_commit_that_loses_the_connection_is_an_unknown_outcome_settled_by_the_key(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    headers = {**regulator, "Idempotency-Key": "lost-at-commit"}
    _lose_the_connection_at_the_next_write_commit(app)
    lost = client.post(f"{API}/licences", json=application(), headers=headers)
    assert lost.status_code == 503
    assert lost.get_json()["type"].endswith("outcome-unknown")
    assert "Idempotency-Key" in lost.get_json()["detail"] and lost.headers["Retry-After"]

    again = client.post(f"{API}/licences", json=application(), headers=headers)
    assert again.status_code == 201
    assert written(app) == (1, 1)
