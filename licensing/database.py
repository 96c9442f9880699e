"""The database connection: Flask-SQLAlchemy, Alembic migrations, and SQLite's transaction rules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask
from flask_migrate import Migrate
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from licensing.models import db

MIGRATIONS = str(Path(__file__).with_name("migrations"))
PUBLIC_READ = "public_read"  # bind key of the replica public reads may use
IMMEDIATE = "licensing_immediate"  # execution option: this transaction will write
SINGLE_READS = "licensing_single_reads"  # bind key of the pool of single public reads

migrate = Migrate(directory=MIGRATIONS)


def init_app(app: Flask) -> None:
    url = several_hosts(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url
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
        read_url = several_hosts(read_url)
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


def several_hosts(url: str) -> str:
    """A libpq URL naming several hosts (`postgresql://a:5432,b:5432/licensing?target_session_attrs=
    read-write`: libpq tries each in turn and keeps the first that takes writes, so the app
    follows a failover by itself) in the form SQLAlchemy reads (`?host=a:5432&host=b:5432`); any
    other URL as it is."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgresql") or "," not in parts.netloc:
        return url
    user, _, hosts = parts.netloc.rpartition("@")
    query = [("host", host) for host in hosts.split(",")] + parse_qsl(parts.query)
    return parts._replace(netloc=f"{user}@" if user else "", query=urlencode(query)).geturl()


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
