"""Fixtures of the webhook tests: a receiver process on loopback, an app that may deliver to
it, subscriptions made through the API, and delivery rounds run in the test's own process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.services import deliveries
from tests.factories import API

ROOT = Path(__file__).resolve().parents[2]
# short retries and timeouts, so a failure is retried within the test
HOOKS = {
    "LICENSING_WEBHOOKS_ALLOW_HOSTS": "127.0.0.1",
    "LICENSING_WEBHOOKS_RETRY_SCHEDULE": "0,0,0",
    "LICENSING_WEBHOOKS_CONNECT_TIMEOUT": "1",
    "LICENSING_WEBHOOKS_TIMEOUT": "1",
    "LICENSING_DELIVERIES_POLL_MS": "20",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Receiver:
    """The receiver process (tests/changes/receiver.py): started, stopped, started again on the
    same port; what it got is read back from its record."""

    def __init__(self, where: Path) -> None:
        self.port = free_port()
        self.secrets = where / "secrets.json"
        self.record = where / "received.ndjson"
        self.process: subprocess.Popen[str] | None = None

    def url(self, path: str = "/ok") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.changes.receiver", str(self.port), str(self.secrets),
             str(self.record)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def knows(self, subscription_id: str, secret: str) -> None:
        known = json.loads(self.secrets.read_text()) if self.secrets.exists() else {}
        self.secrets.write_text(json.dumps({**known, subscription_id: secret}))

    def received(self, path: str | None = None) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        lines = [json.loads(line) for line in self.record.read_text().splitlines() if line]
        return [entry for entry in lines if path is None or entry["path"] == path]

    def wait_for(self, count: int, seconds: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while len(self.received()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    handle = Receiver(tmp_path).start()
    yield handle
    handle.stop()


@pytest.fixture
def hooks_app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    return make_app(LICENSING_SECRET_KEY_FILE=str(tmp_path / "secret-key"), **HOOKS)


@pytest.fixture
def hooks_client(hooks_app: Flask) -> FlaskClient:
    return hooks_app.test_client()


def subscribe(
    client: FlaskClient,
    headers: dict[str, str],
    receiver: Receiver | None,
    path: str = "/ok",
    **body: Any,
) -> dict[str, Any]:
    """A subscription made through the API (everything followed by default), its secret told to
    the receiver."""
    body.setdefault("follows", {"all": True})
    url = receiver.url(path) if receiver else body.pop("url")
    response = client.post(f"{API}/subscriptions", json={"url": url, **body}, headers=headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    if receiver is not None:
        receiver.knows(created["id"], created["secret"])
    return created


def deliver(app: Flask, rounds: int = 20) -> list[deliveries.Outcome]:
    """Delivery rounds in this process until one finds nothing to do."""
    outcomes: list[deliveries.Outcome] = []
    with app.app_context():
        claims = deliveries.Claims()
        try:
            for _ in range(rounds):
                done = deliveries.deliver_round(
                    deliveries.secret_box(app), app.config["LICENSING_WEBHOOKS"], claims
                )
                outcomes += done
                if not any(o.delivered or o.failed for o in done):
                    break
        finally:
            claims.close()
    return outcomes
