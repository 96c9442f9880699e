"""Backups of the system of record: SQLite's online backup API, or pg_dump on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from licensing.models import db


class BackupRefused(Exception):
    """The backup could not be made; the message says why and what to do."""


def backup(target: Path) -> str:
    """Copy the whole database to `target` (a new, owner-only file), consistent as of one instant,
    while the registry keeps serving. Returns how it was made."""
    if target.exists():
        raise BackupRefused(f"{target} exists: a backup never overwrites a file")
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        _sqlite(target)
        return "SQLite online backup"
    if url.get_backend_name() == "postgresql":
        _pg_dump(target)
        return "pg_dump --format=custom (restore with pg_restore)"
    raise BackupRefused(f"no backup for {url.get_backend_name()} databases")


def _sqlite(target: Path) -> None:
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = db.engine.raw_connection()
    try:
        destination = sqlite3.connect(target)
        try:
            # copies page by page; writers may go on meanwhile, and the copy is one consistent state
            source.driver_connection.backup(destination)  # type: ignore[union-attr]
        finally:
            destination.close()
    finally:
        source.close()


def _pg_dump(target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupRefused(
            "on PostgreSQL back up with pg_dump (not found on PATH here), or with base backups and"
            " WAL archiving: see docs/operations.md"
        )
    url = make_url(str(db.engine.url)).set(drivername="postgresql")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    done = subprocess.run(
        [program, "--format=custom", "--no-owner", "--file", str(target),
         url.render_as_string(hide_password=False)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupRefused(f"pg_dump failed: {done.stderr.strip()}")
