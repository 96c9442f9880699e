"""The database connection: Flask-SQLAlchemy, Alembic migrations, and SQLite's transaction rules."""

from __future__ import annotations

import os
from collections import namedtuple
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import Dialect, Engine, Select, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from licensing.models import db

MIGRATIONS = str(Path(__file__).with_name("migrations"))
PUBLIC_READ = "public_read"  # bind key of the replica public reads may use
IMMEDIATE = "licensing_immediate"  # execution option: this transaction will write
SINGLE_READS = "licensing_single_reads"  # bind key of the pool of single public reads

migrate = Migrate(directory=MIGRATIONS)


def init_app(app: Flask) -> None:
    url: str = app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        _make_owner_only(url)
    else:
        # a connection found dead on checkout is replaced, so every worker recovers by itself
        # after a database restart
        options.setdefault("pool_pre_ping", True)
    binds = app.config.setdefault("SQLALCHEMY_BINDS", {})
    if read_url := app.config["LICENSING_READ_DATABASE_URL"]:
        pre_ping = {} if read_url.startswith("sqlite") else {"pool_pre_ping": True}
        binds[PUBLIC_READ] = {"url": read_url, **pre_ping}
    if not (read_url or url).startswith("sqlite"):
        # single public reads: a pool of their own, in autocommit and without the ping (SingleRead)
        binds[SINGLE_READS] = {"url": read_url or url, "isolation_level": "AUTOCOMMIT"}
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)
    if url.startswith("sqlite"):
        with app.app_context():
            _take_over_sqlite_transactions(db.engine)


def _make_owner_only(url: str) -> None:
    """Create the SQLite file readable by its owner alone, and tighten one made before: it holds
    token hashes and the whole trail. SQLite gives the -wal and -shm files it creates the main
    file's mode."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError:
        return  # a missing folder or a read-only file: SQLite reports it on first use
    for path in (database, f"{database}-wal", f"{database}-shm"):
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        except FileNotFoundError:
            continue
        except PermissionError:
            return  # another user's file is not ours to change


def _take_over_sqlite_transactions(engine: Engine) -> None:
    """Emit BEGIN ourselves (pysqlite's own handling skips it for reads) and BEGIN IMMEDIATE for
    writes, so a writer holds SQLite's write lock from its first read: two writers never both read
    the chain head and both append."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def public_read_engine() -> Engine:
    """Where public, read-only traffic goes: the replica LICENSING_READ_DATABASE_URL names, or the
    system of record."""
    return db.engines.get(PUBLIC_READ) or db.engine


class SingleRead:
    """A read-only statement giving one row at most, run as one statement outside a transaction,
    where public reads go.

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
                    row = cursor.fetchone()
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
            if row is None:
                return None
            return self._row._make(
                value if process is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )
        raise AssertionError("unreachable")
