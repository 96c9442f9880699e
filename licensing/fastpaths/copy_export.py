"""Exports written by PostgreSQL itself: COPY (query) TO STDOUT, read back row by row as bytes.
The writers of services/audit_trail.py make the same bytes row by row; a test holds them equal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, Select


def copy_rows(engine: Engine, query: Select[Any], options: str) -> Iterator[bytes]:
    """Each row PostgreSQL's COPY writes for `query` with `options`, in a read-only transaction
    of its own (one snapshot). A stream cut short is cancelled by psycopg, and the pool rolls the
    connection back when it is returned."""
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    statement = f"COPY ({compiled}) TO STDOUT ({options})"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute("SET LOCAL client_encoding TO 'UTF8'")
        with cursor.copy(statement, compiled.params) as copy:  # type: ignore[attr-defined]
            for row in copy:
                yield bytes(row)
        raw.rollback()
    finally:
        raw.close()
