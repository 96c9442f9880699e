"""Single reads: one row by a one-statement read, outside any transaction, for the hottest public
routes; the rows Core would give, held equal to them by a test (tests/db/test_single_reads.py)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import Dialect, Select
from sqlalchemy.exc import DBAPIError

from licensing.database import PUBLIC_READ, SINGLE_READS
from licensing.models import db

# a statement as the driver takes it: its SQL, the order of its positional parameters (None for
# named ones), their defaults, their types' bind processors, and the result processors of the
# columns that have one, by position
_Compiled = tuple[
    str, tuple[str, ...] | None, dict[str, Any], dict[str, Any], tuple[tuple[int, Any], ...]
]


class SingleRead:
    """A read-only statement giving one row (or a few: `rows`), run as one statement outside a
    transaction, where public reads go.

    Compiled once per database by SQLAlchemy, its columns read back by SQLAlchemy's own column
    types, and run on a pooled DBAPI connection: for the registry's hottest routes, Core's
    per-execution machinery (cache keys, execution context, result objects) cost more than the
    read itself. A test holds the rows to what Core gives. Parameters go to the driver as they
    are, after their types' bind processors (a date becomes text for SQLite); none may be a list.

    No transaction: a single statement sees one committed state by itself, and on PostgreSQL this
    spares the BEGIN and ROLLBACK round trips. Nor a ping on checkout (another round trip): a
    connection that died with the database (a restart) is noticed by the read itself, the pool is
    emptied, and the read is made once more on a fresh connection; a read changes nothing, so
    repeating it is safe."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        columns = statement.selected_columns
        self._row = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self.statement.compile(dialect=dialect)
            processors = tuple(
                (position, process)
                for position, column in enumerate(self.statement.selected_columns)
                if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
            )
            # what the parameters' own types make of a value for the driver (a date for SQLite)
            binders = {
                name: binder
                for name, bind in statement.binds.items()
                if (binder := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
            }
            positions = tuple(statement.positiontup) if statement.positiontup else None
            compiled = (str(statement), positions, dict(statement.params), binders, processors)
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
        sql, positions, defaults, binders, processors = self._compile(dialect)
        given = {**defaults, **parameters}
        for name, binder in binders.items():
            given[name] = binder(given[name])
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
            if not processors:  # the driver's values are the columns' (text, numbers)
                return [make(row) for row in found] if named else list(found)
            rows = []
            for row in found:
                values = list(row)
                for position, process in processors:
                    values[position] = process(values[position])
                rows.append(make(values))
            return rows
        raise AssertionError("unreachable")
