"""Shared fixtures: a fresh database per test (SQLite by default, PostgreSQL when
LICENSING_TEST_DATABASE_URL is set), the app, its test client and CLI runner, tokens, a clock."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings

from licensing import clock as registry_clock
from licensing import create_app
from licensing.config import database_url
from licensing.models import db
from licensing.services import accounts
from tests.factories import bearer

# Property tests judge behaviour, not speed: no example fails for taking long on a busy machine
# (speed lives in bench/).
settings.register_profile("registry", deadline=None)
settings.load_profile("registry")

POSTGRES_URL = os.environ.get("LICENSING_TEST_DATABASE_URL")  # noqa: TID251
GENESIS = "0" * 64

# Tables emptied between tests on PostgreSQL, children first (every table but the head's row).
TABLES = (
    "proposals",
    "deliveries",
    "subscriptions",
    "changes",
    "idempotency_records",
    "audit_events",
    "log_nodes",
    "log_cosignatures",
    "log_witnesses",
    "licences",
    "licence_serials",
    "api_tokens",
    "signing_keys",
    "console_sessions",
    "sign_in_failures",
    "users",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the pass on PostgreSQL, leave out the tests that touch no test database (they take no
    `databases` fixture and their module never reads POSTGRES_URL): they would run exactly as in
    the pass on SQLite, which runs every test."""
    if POSTGRES_URL is None:
        return
    kept, left = [], []
    for item in items:
        module = getattr(item, "module", None)
        touches = "databases" in getattr(item, "fixturenames", ()) or hasattr(
            module, "POSTGRES_URL"
        )
        (kept if touches else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


class Databases:
    """Hands each test an empty, migrated database."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.template = tmp / "template.sqlite"
        source = POSTGRES_URL or f"sqlite:///{self.template}"
        migrate_app = create_app({"LICENSING_DATABASE_URL": source, "TESTING": True})
        with migrate_app.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
        self.engine = sa.create_engine(database_url(POSTGRES_URL)) if POSTGRES_URL else None
        # every table but the head's is emptied between tests: a new one must be named above
        unlisted = set(db.metadata.tables) - set(TABLES) - {"audit_head"}
        assert not unlisted, f"tests/conftest.py: add {sorted(unlisted)} to TABLES"

    def fresh(self, where: Path) -> str:
        if self.engine is None:
            target = where / "licensing.sqlite"
            shutil.copyfile(self.template, target)
            return f"sqlite:///{target}"
        with self.engine.begin() as connection:
            # replica mode switches the append-only triggers (and the foreign keys' checks) off
            # for this cleanup session only; a DELETE of a test's few rows takes a tenth of what a
            # TRUNCATE of every table takes, and the sequences start again at 1 as they would
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in TABLES:
                connection.exec_driver_sql(f"DELETE FROM {table}")
            connection.exec_driver_sql(
                "SELECT setval(oid, 1, false) FROM pg_class"
                " WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
            )
            connection.execute(
                sa.text("UPDATE audit_head SET seq = 0, hash = :genesis, at = NULL, tree = ''"),
                {"genesis": GENESIS},
            )
        assert POSTGRES_URL
        return POSTGRES_URL


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    handle = Databases(tmp_path_factory.mktemp("databases"))
    yield handle
    if handle.engine is not None:
        handle.engine.dispose()


@pytest.fixture
def make_app(databases: Databases, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app on this test's database, with extra settings."""
    url = databases.fresh(tmp_path)
    apps: list[Flask] = []

    def build(**settings: Any) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "LICENSING_DATABASE_URL": url,
                "LICENSING_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),
                "LICENSING_RATELIMIT_STORAGE_URI": "memory://",
                **settings,
            }
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def token(app: Flask) -> Callable[..., dict[str, str]]:
    """Authorization headers for a token on the test's app: token("regulator"), token("miner",
    bin="..."). The same role and BIN give the same token; its name is "<role>-<n>"."""
    made: dict[tuple[str, str | None], dict[str, str]] = {}

    def make(role: str, bin: str | None = None) -> dict[str, str]:
        if (role, bin) not in made:
            made[(role, bin)] = bearer(app, role, bin, name=f"{role}-{len(made) + 1}")
        return made[(role, bin)]

    return make


@pytest.fixture
def regulator(token: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token("regulator")


@pytest.fixture
def auditor(token: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token("auditor")


class Clock:
    """The registry's clock, frozen at a moment the test chooses and moved by hand."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


# Argon2 at the registry's cost (64 MiB and three passes, argon2-cffi's RFC 9106 profile) takes a
# fifth of a second a hash here, and the console's tests make and check hundreds: what they judge
# is what is hashed and checked when, not the cost, so they hash at Argon2's least cost.
# tests/console/test_passwords.py holds the registry itself to its cost.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "registry_password_cost" not in request.keywords:
        monkeypatch.setattr(accounts, "_hasher", QUICK_HASHER)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every test runs at TODAY (14:30 in Astana) unless it moves the clock."""
    frozen = Clock(datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    monkeypatch.setattr(registry_clock, "now", frozen.now)
    return frozen
