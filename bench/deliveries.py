"""From commit to delivery: how long after a change is committed its webhook arrives, with one
delivery process (`flask --app licensing deliveries run`, default settings) and 100
subscriptions that all follow the whole register, on SQLite and on PostgreSQL.

    python -m bench.run --part deliveries [--subscriptions 100] [--changes 30]

A receiver process of its own (bench/receiver.py) answers 200 at once and notes when each
delivery arrives; each change is issued through the API (in this process), and its commit is the
moment the answer came back. Changes are spaced out (half a second), so each is measured on its
own, not queued behind the one before."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

from licensing import create_app
from licensing.services import tokens
from tests.factories import API, application

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SPACING = 0.5  # seconds between two changes


def _empty(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    admin_url, name = url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _arrivals(port: int) -> dict[str, float]:
    """When each webhook-id first reached the receiver (its clock: the same host's)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/arrivals", timeout=10) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def measure(url: str, subscriptions: int, changes: int, scratch: Path) -> dict[str, float]:
    """Seconds from commit to arrival, over every (change, subscription): median, p90, max."""
    _empty(url)
    receiver = subprocess.Popen([sys.executable, "-m", "bench.receiver"], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert receiver.stdout is not None
        port = int(receiver.stdout.readline())
        committed, ids = _changes_delivered(url, subscriptions, changes, scratch, port)
        arrived = _arrivals(port)
    finally:
        receiver.terminate()
        receiver.wait(10)
    latencies = [
        arrived[f"{sid}-{seq}"] - at
        for seq, at in committed.items()
        for sid in ids
        if f"{sid}-{seq}" in arrived
    ]
    ordered = sorted(latencies)
    return {
        "delivered": len(latencies),
        "expected": changes * subscriptions,
        "median": statistics.median(ordered),
        "p90": ordered[int(len(ordered) * 0.9)],
        "max": ordered[-1],
    }


def _changes_delivered(
    url: str, subscriptions: int, changes: int, scratch: Path, port: int
) -> tuple[dict[int, float], list[str]]:
    """Make the subscriptions and the changes, with the delivery process running, until every
    delivery arrived (or two minutes passed): when each change was committed, by seq, and the
    subscriptions' ids."""
    settings = {
        "LICENSING_DATABASE_URL": url,
        "LICENSING_SIGNING_KEY_FILE": str(scratch / "signing-key.pem"),
        "LICENSING_SECRET_KEY_FILE": str(scratch / "secret-key"),
        "LICENSING_WEBHOOKS_ALLOW_HOSTS": "127.0.0.1",
        "LICENSING_SUBSCRIPTIONS_PER_TOKEN": str(subscriptions),
        "LICENSING_RATELIMIT_PUBLIC": "1000000000 per minute",
    }
    env = {**os.environ, **settings}  # noqa: TID251 (the command's own environment)
    subprocess.run([str(BIN / "flask"), "--app", "licensing", "db", "upgrade"], env=env,
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    app = create_app(settings)
    client = app.test_client()
    with app.app_context():
        regulator = {"Authorization": f"Bearer {tokens.create('bench-regulator', 'regulator')}"}
        bank = {"Authorization": f"Bearer {tokens.create('bench-bank', 'subscriber')}"}
    hook = f"http://127.0.0.1:{port}/hook"
    ids = []
    for _ in range(subscriptions):
        made = client.post(f"{API}/subscriptions", json={"url": hook, "follows": {"all": True}},
                           headers=bank)  # fmt: skip
        assert made.status_code == 201, made.get_json()
        ids.append(made.get_json()["id"])
    log = scratch / "deliveries.log"
    process = subprocess.Popen(
        [str(BIN / "flask"), "--app", "licensing", "deliveries", "run"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    try:
        started = time.monotonic() + 120
        while "delivering" not in log.read_text():
            assert time.monotonic() < started, "the delivery process did not start"
            time.sleep(0.1)
        time.sleep(1)  # its first round
        committed: dict[int, float] = {}
        for _ in range(changes):
            answer = client.post(f"{API}/licences", json=application(), headers=regulator)
            done = time.time()
            assert answer.status_code == 201
            seq = client.get(f"{API}/changes", query_string={"limit": 1000}).get_json()["next"]
            committed[seq] = done
            time.sleep(SPACING)
        deadline = time.monotonic() + 120
        while len(_arrivals(port)) < changes * subscriptions and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        try:
            process.wait(30)
        finally:
            print(log.read_text()[-3000:], file=sys.stderr)
    return committed, ids


def run(postgres_url: str, subscriptions: int, changes: int) -> list[tuple[str, str, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        for name, url in (("SQLite", f"sqlite:///{scratch}/deliveries.sqlite"),
                          ("PostgreSQL", postgres_url)):  # fmt: skip
            result = measure(url, subscriptions, changes, scratch)
            rows.append((
                f"{name}: commit to delivery, 1 process, {subscriptions} subscriptions",
                f"{result['delivered']:.0f} of {result['expected']:.0f} delivered; p90 "
                f"{result['p90'] * 1000:.0f} ms, max {result['max'] * 1000:.0f} ms",
                f"median **{result['median'] * 1000:.0f} ms** (< 1 s)",
            ))  # fmt: skip
    return rows
