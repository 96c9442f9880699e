"""Writes of many rows at once (Write.insert_rows, update_rows), as a round of deliveries makes
them: every row as asked, in any number, and a row that is not there undoes the whole write. On
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Table, select

from licensing import clock
from licensing.models import ApiToken, db
from licensing.services.failures import ConcurrentChange
from licensing.services.transaction import write_transaction

TOKENS: Table = ApiToken.__table__  # type: ignore[assignment]


def token(n: int) -> dict[str, Any]:
    return {"id": 1000 + n, "name": f"t{n}", "role": "subscriber", "holder_bin": None,
            "token_hash": f"{n:064x}", "created_at": clock.now(), "revoked_at": None}  # fmt: skip


def names(app: Flask) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(select(ApiToken.id, ApiToken.name)).all())


@pytest.mark.parametrize("count", [1, 7, 60])
def test_any_number_of_rows_is_written_each_as_asked(app: Flask, count: int) -> None:
    with app.app_context(), write_transaction() as write:
        write.insert_rows(TOKENS, [token(n) for n in range(count)])
    with app.app_context(), write_transaction() as write:
        # rows setting different columns in one call
        write.update_rows(
            TOKENS,
            ("id",),
            [{"id": 1000 + n, "name": f"renamed{n}"} if n % 2 else
             {"id": 1000 + n, "name": f"revoked{n}", "revoked_at": write.now}
             for n in range(count)],
        )  # fmt: skip

    expected = {1000 + n: f"renamed{n}" if n % 2 else f"revoked{n}" for n in range(count)}
    assert names(app) == expected


def test_a_row_that_is_not_there_undoes_the_whole_write(app: Flask) -> None:
    with app.app_context(), write_transaction() as write:
        write.insert_rows(TOKENS, [token(n) for n in range(3)])

    def rename_one_too_many() -> None:
        with app.app_context(), write_transaction() as write:
            write.insert_rows(TOKENS, [token(3)])
            renamed = [{"id": 1000, "name": "x"}, {"id": 999, "name": "y"}]
            write.update_rows(TOKENS, ("id",), renamed)

    with pytest.raises(ConcurrentChange):
        rename_one_too_many()

    assert names(app) == {1000: "t0", 1001: "t1", 1002: "t2"}
