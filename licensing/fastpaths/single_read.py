"""Single reads: one row by a one-statement read, outside any transaction, for the hottest public
routes; the rows Core would give, held equal to them by a test (tests/db/test_single_reads.py)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import Dialect, Select
from sqlalchemy.exc import DBAPIError

from licensing.database import PUBLIC_READ, SINGLE_READS
from licensing.models import db


class SingleRead:
    """A read-only statement giving one row (or a few: `rows`), run as one statement outside a
    transaction, where public reads go.

    Compiled once per database by SQLAlchemy, its columns read back by SQLAlchemy's own column
    types, and run on a pooled DBAPI connection: for the registry's hottest routes, Core's
    per-execution machinery (cache keys, execution context, result objects) cost more than the
    read itself. A test holds the rows to what Core gives. Parameters go to the driver as they
    are: strings and numbers only.

    No transaction: a single statement sees one committed state by itself, and on PostgreSQL this
    spares the BEGIN and ROLLBACK round trips. Nor a ping on checkout (another round trip): a
    connection that died with the database (a restart) is noticed by the read itself, the pool is
    emptied, and the read is made once more on a fresh connection; a read changes nothing, so
    repeating it is safe."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        columns = statement.selected_columns
        self._row = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any], Any]] = {}

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any], Any]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self.statement.compile(dialect=dialect)
            processors = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            )
            positions = tuple(statement.positiontup) if statement.positiontup else None
            compiled = (str(statement), positions, dict(statement.params), processors)
            self._compiled[dialect.name] = compiled
        return compiled

    def __call__(self, **parameters: Any) -> Any:
        """The row (its columns by name), or None."""
        rows = self._run(parameters, many=False)
        return rows[0] if rows else None

    def rows(self, **parameters: Any) -> list[Any]:
        """Every row the statement gives (for a statement that gives a few)."""
        return self._run(parameters, many=True)

    def tuples(self, **parameters: Any) -> list[tuple[Any, ...]]:
        """Every row the statement gives, as plain tuples of its columns in order: for a page of
        many rows, where a named row apiece cost more than the read."""
        return self._run(parameters, many=True, named=False)

    def _run(self, parameters: dict[str, Any], many: bool, named: bool = True) -> list[Any]:
        engines = db.engines  # looked up once: each look is the app's and the extension's
        engine = engines.get(SINGLE_READS) or engines.get(PUBLIC_READ) or engines[None]
        dialect = engine.dialect
        sql, positions, defaults, processors = self._compile(dialect)
        given = {**defaults, **parameters}
        arguments = tuple(given[name] for name in positions) if positions else given
        for attempt in (1, 2):
            try:
                connection = engine.raw_connection()
            except dialect.loaded_dbapi.Error as error:  # as Core reports it: a 503
                raise DBAPIError.instance(
                    None, None, error, dialect.loaded_dbapi.Error, dialect=dialect
                ) from error
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(sql, arguments)
                    found = cursor.fetchall() if many else cursor.fetchmany(1)
                finally:
                    cursor.close()
            except dialect.loaded_dbapi.Error as error:
                dead = dialect.is_disconnect(error, connection.dbapi_connection, None)
                if dead:
                    connection.invalidate(error)
                    engine.dispose()  # the others died with it
                if dead and attempt == 1:
                    continue
                raise DBAPIError.instance(
                    sql, arguments, error, dialect.loaded_dbapi.Error,
                    connection_invalidated=dead, dialect=dialect,
                ) from error  # fmt: skip
            finally:
                connection.close()
            make = self._row._make if named else tuple
            if not any(processors):  # the driver's values are the columns' (text, numbers)
                return [make(row) for row in found] if named else list(found)
            return [
                make(
                    value if process is None else process(value)
                    for process, value in zip(processors, row, strict=True)
                )
                for row in found
            ]
        raise AssertionError("unreachable")
