"""The restore drill of docs/operations.md: back up, write more, restore; the restored trail and
register verify, a checkpoint signed before the backup still holds, and one signed after it is
reported as ahead of the restored head, so a lost tail is never silent."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask

from licensing import create_app
from licensing.models import db
from tests.conftest import POSTGRES_URL
from tests.factories import API, act, bearer, issue


def kept_checkpoint(app: Flask, path: Path) -> Path:
    response = app.test_client().get(f"{API}/audit/checkpoint")
    assert response.status_code == 200
    path.write_text(response.get_data(as_text=True))
    return path


def write_some(app: Flask) -> None:
    client = app.test_client()
    regulator = bearer(app, "regulator")
    number = issue(client, regulator)["number"]
    assert act(client, regulator, number, "suspend").status_code == 200


def restore_sqlite(url: str, backup: Path) -> str:
    database = Path(url.removeprefix("sqlite:///"))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
    shutil.copyfile(backup, database)
    return url


@pytest.fixture
def restore(tmp_path: Path) -> Iterator[Callable[[str, Path], str]]:
    """Put a backup in place of the database, as the operator would: a file copy on SQLite,
    pg_restore into a scratch database (made here, dropped afterwards) on PostgreSQL."""
    scratch: list[str] = []

    def run(url: str, backup: Path) -> str:
        if url.startswith("sqlite"):
            return restore_sqlite(url, backup)
        if shutil.which("pg_restore") is None:
            pytest.skip("pg_restore is not installed")
        name = f"licensing_restore_{uuid.uuid4().hex[:10]}"
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        scratch.append(name)
        target = url.rsplit("/", 1)[0] + "/" + name
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", target, str(backup)],
            check=True, capture_output=True,
        )  # fmt: skip
        return target

    yield run
    if scratch:
        assert POSTGRES_URL
        with psycopg.connect(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as a:
            for name in scratch:
                a.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_verifies_and_a_later_checkpoint_shows_the_lost_tail(
    make_app: Callable[..., Flask],
    restore: Callable[[str, Path], str],
    tmp_path: Path,
) -> None:
    if POSTGRES_URL and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    app = make_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
    write_some(app)
    before = kept_checkpoint(app, tmp_path / "before.jws")
    backup = tmp_path / "backup.db"
    result = app.test_cli_runner().invoke(args=["db", "backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.stat().st_mode & 0o077 == 0
    again = app.test_cli_runner().invoke(args=["db", "backup", str(backup)])
    assert again.exit_code == 1 and "never overwrites" in again.output

    write_some(app)  # after the backup: lost by the restore
    after = kept_checkpoint(app, tmp_path / "after.jws")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(app.test_client().get("/.well-known/jwks.json").get_data(as_text=True))
    with app.app_context():
        db.engine.dispose()

    restored = create_app(
        {
            "TESTING": True,
            "LICENSING_DATABASE_URL": restore(url, backup),
            "LICENSING_SIGNING_KEY_FILE": app.config["LICENSING_SIGNING_KEY_FILE"],
        }
    )
    try:
        runner = restored.test_cli_runner()
        verified = runner.invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        assert "2 events hold" in verified.output
        trail = tmp_path / "trail.ndjson"
        assert runner.invoke(args=["audit", "export", "--out", str(trail)]).exit_code == 0
        check = ["audit", "verify-export", str(trail), "--jwks", str(jwks), "--checkpoint"]
        held = runner.invoke(args=[*check, str(before)])
        assert held.exit_code == 0 and "reproduces 1 checkpoint" in held.output, held.output
        lost = runner.invoke(args=[*check, str(after)])
        assert lost.exit_code == 1
        assert (
            "a kept checkpoint at seq 4 is ahead of the export's head at seq 2: 2 signed event(s)"
            " are missing" in lost.output
        )
        assert "restore from an older backup" in lost.output
    finally:
        with restored.app_context():
            db.engine.dispose()
