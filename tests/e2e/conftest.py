"""A real server: gunicorn serving `wsgi:app` in its own processes, on a fresh database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Databases
from tests.support.postgres import primary, standby  # noqa: F401 (the clusters of tests of their own)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class Server:
    url: str
    env: dict[str, str]

    def flask(self, *args: str) -> str:
        """Run `flask --app licensing ...` against the server's database; its standard output."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "licensing", *args],
            env=self.env, cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None, **headers: str
    ) -> tuple[int, dict[str, str], Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return (
                    response.status,
                    dict(response.headers),
                    json.loads(response.read() or b"null"),
                )
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    """A gunicorn process and the file it logs to."""

    def __init__(self, process: subprocess.Popen[str], log: Path) -> None:
        self.process, self.log = process, log

    def stop(self) -> None:
        """Stop the server and check it logged no traceback."""
        self.process.terminate()
        self.process.wait(timeout=30)
        output = self.log.read_text()
        assert "Traceback" not in output, output


def launch(
    database: str, folder: Path, workers: int = 2, **settings: str
) -> tuple[Server, Running]:
    """Start gunicorn (sync workers, as in production) on `database`, its key and log in `folder`;
    `settings`: LICENSING_* environment variables for the server and its commands."""
    env = {
        **os.environ,  # noqa: TID251
        "LICENSING_DATABASE_URL": database,
        "LICENSING_SIGNING_KEY_FILE": str(folder / "signing-key.pem"),
        **settings,
    }
    port = _free_port()
    command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    # a file, not a pipe: a busy test can log more than a pipe holds, which would stall gunicorn
    log = folder / f"gunicorn-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, "wsgi:app"], env=env, cwd=ROOT, stdout=output,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    running = Running(process, log)
    server = Server(f"http://127.0.0.1:{port}", env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if server.request("GET", "/readyz")[0] == 200:
                return server, running
        except OSError:
            time.sleep(0.2)
    running.process.terminate()
    raise RuntimeError("the server did not become ready")


@pytest.fixture
def start_server(databases: Databases, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start gunicorn on this test's database, with the checkout's gunicorn.conf.py (sync workers,
    as in production) and extra LICENSING_* settings."""
    database = databases.fresh(tmp_path)
    running: list[Running] = []

    def start(workers: int = 2, **settings: str) -> Server:
        server, process = launch(database, tmp_path, workers, **settings)
        running.append(process)
        return server

    yield start
    for process in running:
        process.stop()


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()
