"""On PostgreSQL the register's substring searches can be answered from the trigram indexes, so a
search does not read the whole table (the match's SQL has to match what the index was built on)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from licensing.models import Licence, db
from licensing.services.listing import contains
from tests.conftest import POSTGRES_URL
from tests.synthetic import fill


@pytest.mark.skipif(POSTGRES_URL is None, reason="the trigram indexes are PostgreSQL's")
def test_a_search_by_holder_name_can_be_answered_from_its_trigram_index(app: Flask) -> None:
    query = (
        select(func.count())
        .select_from(Licence)
        .where(contains(Licence.holder_name_folded, "Экибастуз"))
    )
    with app.app_context():
        fill(db.engine, 2000, licences=2000)
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE licences")
        # at this size a scan is still cheapest: forbid it to see whether the index can serve
        connection.exec_driver_sql("SET enable_seqscan = off")
        compiled = query.compile(dialect=connection.dialect)
        plan = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars().all()
    assert any("ix_licences_holder_name_folded_trgm" in line for line in plan), plan
