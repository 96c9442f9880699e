"""Witnesses: the registry submits its checkpoints to witnesses that follow C2SP tlog-witness
(tests/support/witness.py, written from the specification alone), keeps their cosignatures and
serves them; a witness that is down blocks nothing, and a quorum holds the checkpoint served to
what enough witnesses saw."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from licensing.models import LogCosignature, LogWitness, db
from tests.factories import API, bearer, issue
from tests.support.witness import Witness, WitnessServer, verify_cosigned_checkpoint


@pytest.fixture
def witnesses() -> Iterator[list[WitnessServer]]:
    servers = [WitnessServer(Witness(f"witness.example/w{n}")).start() for n in (1, 2)]
    yield servers
    for server in servers:
        server.stop()


def configured(servers: list[WitnessServer]) -> str:
    return ",".join(f"{s.witness.name} {s.witness.vkey} {s.url}" for s in servers)


@pytest.fixture
def witnessed(
    make_app: Callable[..., Flask], witnesses: list[WitnessServer]
) -> Callable[..., Flask]:
    """An app that names the witnesses, each told the log's key (as a witness operator is)."""

    def build(**settings: object) -> Flask:
        app = make_app(LICENSING_LOG_WITNESSES=configured(witnesses), **settings)
        vkey = app.test_client().get(f"{API}/log").get_json()["vkey"]
        for server in witnesses:
            server.witness.add_log(app.config["LICENSING_LOG"].origin, vkey)
        return app

    return build


def write(app: Flask, count: int) -> None:
    client = app.test_client()
    with app.app_context():
        headers = bearer(app, "regulator")
    for _ in range(count):
        issue(client, headers)


def round_of(app: Flask) -> list[str]:
    result = app.test_cli_runner().invoke(args=["log", "witness-loop", "--once"])
    return result.output.splitlines()


def checkpoint(client: FlaskClient) -> str:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_each_witness_cosigns_and_the_checkpoint_carries_every_cosignature(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    app = witnessed()
    write(app, 3)
    assert round_of(app) == [f"{s.witness.name}: cosigned at size 3" for s in witnesses]
    client = app.test_client()
    note = checkpoint(client)
    log_vkey = client.get(f"{API}/log").get_json()["vkey"]
    seen = verify_cosigned_checkpoint(note, [log_vkey], [s.witness.vkey for s in witnesses])
    assert set(seen) == {s.witness.vkey for s in witnesses}
    assert [s.witness.latest(app.config["LICENSING_LOG"].origin)[0] for s in witnesses] == [3, 3]
    described = client.get(f"{API}/log").get_json()["witnesses"]
    assert described == [{"name": s.witness.name, "vkey": s.witness.vkey} for s in witnesses]


def test_a_grown_log_is_proved_consistent_to_each_witness_from_what_it_acknowledged(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    app = witnessed()
    for count in (1, 4, 2, 9):
        write(app, count)
        assert all(
            line.endswith("cosigned at size " + str(app_size(app))) for line in round_of(app)
        )
    # every submission after the first carried a proof the witness checked with its own code
    statuses = [sub.status for sub in witnesses[0].witness.submissions]
    assert statuses == [200, 200, 200, 200]
    assert round_of(app) == [f"{s.witness.name}: up to date at size 16" for s in witnesses]


def app_size(app: Flask) -> int:
    return app.test_client().get(f"{API}/log").get_json()["size"]


def test_a_witness_that_is_down_delays_only_its_own_cosignature(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    app = witnessed()
    write(app, 2)
    witnesses[1].down()
    result = app.test_cli_runner().invoke(args=["log", "witness-loop", "--once"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "witness.example/w1: cosigned at size 2"
    assert lines[1].startswith("witness.example/w2: failed at size 0: unreachable")
    write(app, 1)  # writes go on regardless
    with app.app_context():
        state = db.session.get(LogWitness, "witness.example/w2")
        assert state is not None and state.failure.startswith("unreachable")
    witnesses[1].up()
    assert round_of(app)[1] == "witness.example/w2: cosigned at size 3"


def test_a_witness_that_holds_another_size_is_resynchronised_by_its_409(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    app = witnessed()
    write(app, 5)
    round_of(app)
    with app.app_context():  # the registry forgets what the witnesses acknowledged
        db.session.execute(LogWitness.__table__.delete())
        db.session.commit()
    write(app, 2)
    assert round_of(app) == [f"{s.witness.name}: cosigned at size 7" for s in witnesses]
    assert [sub.status for sub in witnesses[0].witness.submissions] == [200, 409, 200]


def test_a_line_that_is_not_the_witness_own_cosignature_is_not_kept(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    impostor = Witness("witness.example/w1")  # the same name, another key
    genuine = witnesses[0].witness
    genuine.cosign = impostor.cosign  # type: ignore[method-assign]
    app = witnessed()
    write(app, 2)
    assert round_of(app)[0].startswith(
        "witness.example/w1: failed at size 2: 200 without a valid cosignature"
    )
    with app.app_context():
        kept = db.session.scalars(select(LogCosignature.witness)).all()
    assert kept == ["witness.example/w2"]
    assert "witness.example/w1" not in checkpoint(app.test_client())


def test_with_a_quorum_the_checkpoint_served_is_the_newest_enough_witnesses_cosigned(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    app = witnessed(LICENSING_LOG_WITNESS_QUORUM="2")
    client = app.test_client()
    write(app, 3)
    refused = client.get("/log/checkpoint")
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert refused.content_type == "application/problem+json"
    round_of(app)
    assert checkpoint(client).splitlines()[1] == "3"
    write(app, 4)
    witnesses[1].down()
    round_of(app)  # only w1 saw the tree of 7
    note = checkpoint(client)
    assert note.splitlines()[1] == "3"
    assert note.count("\n\u2014 witness.example/") == 2
    # a statement of a licence changed since is proved against the current tree instead
    proof = client.get(f"{API}/status/DM-2026-000007/statement.tlog-proof")
    assert proof.status_code == 200
    assert "\n7\n" in proof.get_data(as_text=True)


def test_a_submission_within_the_interval_waits(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    from licensing.services import witnessing

    app = witnessed(LICENSING_LOG_WITNESS_INTERVAL="3600")
    write(app, 1)
    with app.app_context():
        signer, settings = app.extensions["licensing.signer"], app.config["LICENSING_LOG"]
        assert {o.result for o in witnessing.submit_all(signer, settings)} == {"cosigned"}
        write(app, 1)
        assert {o.result for o in witnessing.submit_all(signer, settings)} == {"not due"}
    assert witnesses[0].witness.submission_count == 1


def test_the_loop_killed_mid_submission_loses_nothing(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    """A witness that takes its time; the loop is killed (SIGKILL) while it waits for the
    answer, after the witness cosigned. The next process finds the witness ahead (409), proves
    from its size, and keeps the cosignature: nothing is lost, nothing is kept twice."""
    witness = Witness("witness.example/slow")
    answered = witness.add_checkpoint
    slow = {"seconds": 0.0}

    def slowly(body: bytes) -> tuple[int, str, str]:
        result = answered(body)
        time.sleep(slow["seconds"])
        return result

    witness.add_checkpoint = slowly  # type: ignore[method-assign]
    with WitnessServer(witness) as server:
        database = f"sqlite:///{tmp_path}/witnessed.sqlite"
        settings = {
            "LICENSING_DATABASE_URL": database,
            "LICENSING_SIGNING_KEY_FILE": str(tmp_path / "key.pem"),
            "LICENSING_LOG_WITNESSES": configured([server]),
            "LICENSING_LOG_WITNESS_INTERVAL": "1",
        }
        app = make_app(**settings)
        with app.app_context():
            import flask_migrate

            flask_migrate.upgrade()
        witness.add_log(
            app.config["LICENSING_LOG"].origin,
            app.test_client().get(f"{API}/log").get_json()["vkey"],
        )
        write(app, 4)
        slow["seconds"] = 30.0
        env = {**os.environ, **settings}  # noqa: TID251 (the command's own environment)
        loop = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "licensing", "log", "witness-loop"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while witness.submission_count == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert witness.submission_count == 1  # cosigned, the answer not yet sent
        finally:
            loop.send_signal(signal.SIGKILL)
            loop.wait(10)
        slow["seconds"] = 0.0
        with app.app_context():
            kept = db.session.scalar(select(func.count()).select_from(LogCosignature))
        assert kept == 0  # the answer never arrived
        again = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "licensing", "log", "witness-loop", "--once"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert again.stdout.strip() == "witness.example/slow: cosigned at size 4"
        assert [sub.status for sub in witness.submissions] == [200, 409, 200]
        with app.app_context():
            rows = db.session.execute(select(LogCosignature.witness, LogCosignature.size)).all()
        assert rows == [("witness.example/slow", 4)]
        assert "witness.example/slow" in checkpoint(app.test_client())


def test_a_quorum_checkpoint_older_than_what_the_key_signed_is_still_served(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    from licensing.services import transparency

    app = witnessed(LICENSING_LOG_WITNESS_QUORUM="2")
    write(app, 3)
    round_of(app)  # both cosign 3
    write(app, 2)
    witnesses[1].down()
    round_of(app)  # the key signs 5 for the witnesses; only w1 cosigns it
    transparency._signed_before.clear()  # a worker that never signed the tree of 3 itself
    client = app.test_client()
    assert checkpoint(client).splitlines()[1] == "3"  # a prefix of what was signed: no fork
    assert client.get(f"{API}/status/DM-2026-000001/statement.tlog-proof").status_code == 200


def test_a_cosignature_line_sent_without_its_newline_is_kept_as_a_note_line(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    genuine = witnesses[0].witness
    cosign = genuine.cosign
    genuine.cosign = lambda text: cosign(text).rstrip("\n")  # type: ignore[method-assign]
    app = witnessed()
    write(app, 2)
    assert round_of(app)[0] == "witness.example/w1: cosigned at size 2"
    client = app.test_client()
    note = checkpoint(client)
    log_vkey = client.get(f"{API}/log").get_json()["vkey"]
    seen = verify_cosigned_checkpoint(note, [log_vkey], [s.witness.vkey for s in witnesses])
    assert len(seen) == 2
    assert client.get(f"{API}/status/DM-2026-000001/statement.tlog-proof").status_code == 200


def test_a_witness_telling_a_size_that_is_not_one_fails_alone(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer]
) -> None:
    from tests.support.witness import SIZE_TYPE

    bad = witnesses[0].witness
    bad.add_checkpoint = lambda body: (409, SIZE_TYPE, "-5\n")  # type: ignore[method-assign]
    app = witnessed()
    write(app, 2)
    lines = round_of(app)
    assert lines[0].startswith("witness.example/w1: failed at size 0: 409 without a size")
    assert lines[1] == "witness.example/w2: cosigned at size 2"


def test_a_quorum_counts_only_cosignatures_that_hold_for_the_keys_configured(
    witnessed: Callable[..., Flask], witnesses: list[WitnessServer], make_app: Callable[..., Flask]
) -> None:
    app = witnessed(LICENSING_LOG_WITNESS_QUORUM="1")
    write(app, 2)
    round_of(app)
    assert checkpoint(app.test_client()).splitlines()[1] == "2"
    # the same witness names with new keys: what was kept no longer counts
    for server in witnesses:
        server.witness.private_key = Witness("x.example/fresh").private_key
    rekeyed = make_app(
        LICENSING_LOG_WITNESSES=configured(witnesses), LICENSING_LOG_WITNESS_QUORUM="1"
    )
    assert rekeyed.test_client().get("/log/checkpoint").status_code == 503
    assert round_of(rekeyed) == [f"{s.witness.name}: cosigned at size 2" for s in witnesses]
    assert rekeyed.test_client().get("/log/checkpoint").status_code == 200
