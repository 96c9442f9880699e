"""The SQLite database file and the instance folder are readable by their owner alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from licensing import create_app
from licensing.models import db


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    # what a shell commonly starts with: new files world-readable
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_sqlite_database_and_its_journal_are_owner_only(
    tmp_path: Path, loose_umask: None
) -> None:
    path = tmp_path / "licensing.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "LICENSING_DATABASE_URL": f"sqlite:///{path}",
            "LICENSING_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            connection.execute(sa.text("SELECT count(*) FROM licences")).scalar()
            journal = [Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(p.exists() for p in journal)
            assert [mode(p) for p in (path, *journal)] == [0o600, 0o600, 0o600]
        db.engine.dispose()
    assert app.test_client().get("/readyz").status_code == 200


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "licensing.sqlite"
    path.touch()
    path.chmod(0o644)
    app = create_app({"TESTING": True, "LICENSING_DATABASE_URL": f"sqlite:///{path}"})
    assert mode(path) == 0o600
    with app.app_context():
        db.engine.dispose()


def test_the_instance_folder_is_owner_only(tmp_path: Path, loose_umask: None) -> None:
    app = create_app(
        {"TESTING": True, "LICENSING_DATABASE_URL": f"sqlite:///{tmp_path / 'licensing.sqlite'}"}
    )
    assert mode(app.instance_path) == 0o700
    with app.app_context():
        db.engine.dispose()
