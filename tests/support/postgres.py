"""PostgreSQL clusters of a test's own: a throwaway primary (initdb + pg_ctl in a temporary
folder, on a free loopback port, never the shared server) and, cloned from it by
`pg_basebackup -R`, a streaming hot standby, with what a failover drill does to them: stop and
start, kill with SIGKILL, pause replay, cut the standby off, promote. Tests of such clusters take
`OWN_CLUSTERS` as their marks, and the `primary` and `standby` fixtures (tests/e2e/conftest.py
offers them)."""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))

# Such tests make their own clusters and never touch the test database, so they run once, in the
# pass without LICENSING_TEST_DATABASE_URL
OWN_CLUSTERS = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        POSTGRES_URL is not None, reason="makes its own clusters: runs once, in the SQLite pass"
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """A cluster in a temporary folder of its own. `ThrowawayPostgres()` makes a primary with the
    registry's schema in the database `licensing`; `primary.standby()` clones a hot standby."""

    def __init__(self, clone_of: ThrowawayPostgres | None = None) -> None:
        if not BINARIES or not os.path.exists(f"{BINARIES[-1]}/initdb"):
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = BINARIES[-1]
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            if shutil.which("runuser") is None:
                pytest.skip("running as root without runuser to start PostgreSQL as postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="licensing-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/licensing"
        if self.as_user:
            os.chmod(self.folder, 0o755)
            shutil.chown(self.folder, "postgres")
        if clone_of is not None:
            # a base backup that writes standby.signal and primary_conninfo (-R), WAL streamed
            # and at once (a fast checkpoint, not a spread one), not synced (a throwaway)
            self._run("pg_basebackup", "-D", str(self.data), "-h", "127.0.0.1",
                      "-p", str(clone_of.port), "-U", "postgres", "-R", "-X", "stream",
                      "-c", "fast", "--no-sync")  # fmt: skip
            self.start()
            return
        # a copy of a cluster made once per test process (initdb, the schema), then stopped
        subprocess.run(["cp", "-a", str(_template(self)), str(self.data)], check=True)
        self.start()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, f"{self.bin}/{program}", *args], check=True, capture_output=True,
            cwd=self.folder,
        )  # fmt: skip

    def sql(self, statement: str, database: str = "licensing") -> list[tuple[object, ...]]:
        """Run one statement (autocommit) and give its rows (none for a statement without)."""
        url = self.url if database == "licensing" else self.admin_url
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(statement)  # type: ignore[call-overload]
            return cursor.fetchall() if cursor.description else []

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once: the machine is gone, nothing is
        flushed or sent after this instant."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in [postmaster, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return
        raise RuntimeError("the killed primary still accepts connections")

    # the primary's side of replication

    def standby(self) -> ThrowawayPostgres:
        """A hot standby streaming from this primary, caught up."""
        standby = ThrowawayPostgres(clone_of=self)
        self.wait_for_standby(sync=False)
        return standby

    def replicate_synchronously(self) -> None:
        """Every commit waits until the standby has applied it (remote_apply): what a client is
        told is committed is visible on the standby, and survives the primary."""
        self.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.sql("ALTER SYSTEM SET synchronous_commit = 'remote_apply'")
        self.sql("SELECT pg_reload_conf()")
        self.wait_for_standby(sync=True)

    def wait_for_standby(self, sync: bool) -> None:
        wanted = "sync" if sync else "async"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.sql("SELECT sync_state FROM pg_stat_replication") == [(wanted,)]:
                return
            time.sleep(0.1)
        raise RuntimeError(f"no {wanted} standby is streaming from the primary")

    # the standby's side

    def replayed(self) -> int:
        """The standby's last replayed WAL position, as a number."""
        ((lsn,),) = self.sql("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
        return int(lsn)  # type: ignore[call-overload]

    def pause_replay(self) -> None:
        self.sql("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.sql("SELECT pg_get_wal_replay_pause_state()") != [("paused",)]:
            if time.monotonic() > deadline:
                raise RuntimeError("the standby's replay did not pause")
            time.sleep(0.05)

    def resume_replay(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")

    def cut_off(self) -> None:
        """Stop streaming from the primary (as a network cut would): the standby keeps serving
        what it has, and receives nothing more."""
        self.sql("ALTER SYSTEM SET primary_conninfo = ''")
        self.sql("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while self.sql("SELECT count(*) FROM pg_stat_wal_receiver") != [(0,)]:
            if time.monotonic() > deadline:
                raise RuntimeError("the standby still streams")
            time.sleep(0.05)

    def promote(self) -> None:
        """`pg_ctl promote`: the standby ends recovery and takes writes."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


_templates: list[Path] = []


def _template(cluster: ThrowawayPostgres) -> Path:
    """The data folder of a stopped cluster with the registry's schema in `licensing`, made once
    per test process: copying it takes a fraction of initdb and the migrations."""
    if not _templates:
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--no-sync")  # fmt: skip
        cluster.start()
        with psycopg.connect(cluster.admin_url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE licensing")
        subprocess.run(
            [str(BIN / "flask"), "--app", "licensing", "db", "upgrade"], cwd=ROOT, check=True,
            env={**os.environ, "LICENSING_DATABASE_URL": cluster.url}, capture_output=True,  # noqa: TID251
        )  # fmt: skip
        cluster.stop()
        folder = Path(tempfile.mkdtemp(prefix="licensing-pg-template-"))
        os.rename(cluster.data, folder / "data")
        _templates.append(folder / "data")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return _templates[0]


def failover_url(*clusters: ThrowawayPostgres) -> str:
    """One libpq URL naming every cluster, that connects to whichever takes writes."""
    hosts = ",".join(f"127.0.0.1:{cluster.port}" for cluster in clusters)
    return f"postgresql://postgres@{hosts}/licensing?target_session_attrs=read-write"


@pytest.fixture
def primary() -> Iterator[ThrowawayPostgres]:
    """A throwaway primary with the registry's schema, removed after the test."""
    cluster = ThrowawayPostgres()
    yield cluster
    cluster.remove()


@pytest.fixture
def standby(primary: ThrowawayPostgres) -> Iterator[ThrowawayPostgres]:
    """A hot standby streaming from `primary`, caught up, removed after the test."""
    cluster = primary.standby()
    yield cluster
    cluster.remove()
