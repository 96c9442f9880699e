"""The delivery process (`flask --app licensing deliveries run`) as operators run it: killed with
SIGKILL mid-batch it loses nothing, and on PostgreSQL two at once never deliver one change
twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from licensing.services import deliveries
from tests.changes.conftest import HOOKS, ROOT, Receiver, subscribe
from tests.conftest import POSTGRES_URL
from tests.factories import bearer, issue

COMMAND = [sys.executable, "-m", "flask", "--app", "licensing", "deliveries", "run"]


@pytest.fixture
def process_app(make_app: Any, tmp_path: Path) -> Flask:
    return make_app(LICENSING_SECRET_KEY_FILE=str(tmp_path / "secret-key"), **HOOKS)


def environment(app: Flask) -> dict[str, str]:
    """The settings of `app`, as the delivery process's environment."""
    return {
        **os.environ,  # noqa: TID251 (the command's own environment)
        **HOOKS,
        "LICENSING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LICENSING_SECRET_KEY_FILE": app.config["LICENSING_SECRET_KEY_FILE"],
        "LICENSING_SIGNING_KEY_FILE": app.config["LICENSING_SIGNING_KEY_FILE"],
    }


def start(app: Flask) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        COMMAND, env=environment(app), cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def changes(app: Flask, count: int) -> None:
    client, regulator = app.test_client(), bearer(app, "regulator")
    for _ in range(count):
        issue(client, regulator)


def test_the_process_killed_mid_batch_loses_nothing(process_app: Flask, receiver: Receiver) -> None:
    """Each delivery takes the receiver 0.2 s; the process is killed (SIGKILL) after a few, before
    it recorded its batch. The next run delivers everything not recorded as delivered: again
    what the killed one sent, under the same ids, and the rest."""
    client = process_app.test_client()
    made = subscribe(client, bearer(process_app, "subscriber"), receiver, "/slow")
    changes(process_app, 8)
    process = start(process_app)
    try:
        receiver.wait_for(3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    got_before = len(receiver.received())
    again = subprocess.run([*COMMAND, "--once"], env=environment(process_app), cwd=ROOT,
                           capture_output=True, text=True, timeout=60)  # fmt: skip

    assert again.returncode == 0, again.stdout + again.stderr
    received = receiver.received()
    assert 3 <= got_before < 8  # killed mid-batch
    assert all(entry["valid"] for entry in received)
    seqs = [entry["body"]["data"]["seq"] for entry in received]
    assert sorted(set(seqs)) == list(range(1, 9))  # nothing lost
    assert seqs[:got_before] == list(range(1, got_before + 1))  # in order before the kill
    assert seqs[got_before:] == list(range(1, 9))  # and after it, from the last recorded
    by_id: dict[str, Any] = {}
    for entry in received:  # a duplicate comes under the same webhook-id, with the same body
        assert entry["id"] == f"{made['id']}-{entry['body']['data']['seq']}"
        assert by_id.setdefault(entry["id"], entry["body"]) == entry["body"]


@pytest.mark.skipif(POSTGRES_URL is None, reason="several delivery processes need PostgreSQL")
def test_two_processes_on_postgresql_never_deliver_one_change_twice(
    process_app: Flask, receiver: Receiver
) -> None:
    client, bank = process_app.test_client(), bearer(process_app, "subscriber")
    made = [subscribe(client, bank, receiver, f"/slow?{n}") for n in range(6)]
    changes(process_app, 5)
    processes = [start(process_app), start(process_app)]
    try:
        received = receiver.wait_for(30, seconds=60)
        time.sleep(0.5)  # a second delivery of any of them would show now
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(20)

    received = receiver.received()
    ids = Counter(entry["id"] for entry in received)
    assert len(ids) == 30 and set(ids.values()) == {1}
    for subscription in made:
        seqs = [
            e["body"]["data"]["seq"] for e in received if e["id"].startswith(subscription["id"])
        ]
        assert seqs == [1, 2, 3, 4, 5]
    assert all(entry["valid"] for entry in received)


@pytest.mark.skipif(POSTGRES_URL is None, reason="changes are announced by PostgreSQL's NOTIFY")
def test_on_postgresql_a_waiting_delivery_process_wakes_when_a_change_is_committed(
    process_app: Flask,
) -> None:
    """It waits for a change as long as its poll (a minute here) at most; a change committed
    wakes it at once, so that a delivery does not wait for the next look."""
    stop = threading.Event()
    with process_app.app_context():
        wake = deliveries.Wake(60, stop)
    try:
        waiting = threading.Thread(target=wake.wait)
        waiting.start()
        time.sleep(0.5)
        still_waiting = waiting.is_alive()
        changes(process_app, 1)
        waiting.join(30)
        assert still_waiting and not waiting.is_alive()
    finally:
        stop.set()
        wake.close()
