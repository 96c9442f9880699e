"""Someone with database access rewrites history: verification, in the API, the CLI and on an
export, points at the first event that no longer holds. Same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from licensing.models import db
from tests.factories import API, act, issue, written

Tamper = Callable[..., None]


@pytest.fixture
def trail(client: FlaskClient, regulator: dict[str, str]) -> None:
    """Six events: issue, suspend, resume, issue, revoke, issue."""
    a = issue(client, regulator)["number"]
    act(client, regulator, a, "suspend")
    act(client, regulator, a, "resume")
    b = issue(client, regulator)["number"]
    act(client, regulator, b, "revoke")
    issue(client, regulator)
    assert written(client.application)[1] == 6


@pytest.fixture
def tamper(app: Flask) -> Tamper:
    """Run SQL as someone who first switched the append-only triggers off."""
    with app.app_context():
        dialect = db.engine.dialect.name

    def run(statement: str, **params: object) -> None:
        with app.app_context(), db.engine.begin() as connection:
            if dialect == "postgresql":
                connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            else:
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
                connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
            for part in statement.split(";"):
                connection.execute(text(part), params)
            if dialect == "postgresql":
                connection.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")

    return run


SWAP = (
    "UPDATE audit_events SET seq = 99 WHERE seq = 2;"
    " UPDATE audit_events SET seq = 2 WHERE seq = 3;"
    " UPDATE audit_events SET seq = 3 WHERE seq = 99"
)
CASES = {
    # statement, first bad seq, words in the problem
    "edited line": (
        "UPDATE audit_events"
        " SET line = replace(line, '\"role\":\"regulator\"', '\"role\":\"auditor\"')"
        " WHERE seq = 3",
        3, "edited",
    ),
    "edited column": (
        "UPDATE audit_events SET reason = 'nothing happened' WHERE seq = 2", 2, "column"
    ),
    "deleted row": ("DELETE FROM audit_events WHERE seq = 4", 4, "missing"),
    "swapped rows": (SWAP, 2, "seq"),
    "deleted tail": ("DELETE FROM audit_events WHERE seq = 6", 6, "removed from the end"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
@pytest.mark.usefixtures("trail")
def test_verification_points_at_the_first_bad_event(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    tamper: Tamper, case: str,
) -> None:  # fmt: skip
    statement, first_bad, words = CASES[case]
    auditor = token("auditor")
    assert client.get(f"{API}/audit/verify", headers=auditor).get_json()["ok"] is True
    tamper(statement)
    report = client.get(f"{API}/audit/verify", headers=auditor).get_json()
    assert (report["ok"], report["first_bad_seq"]) == (False, first_bad)
    assert words in report["problem"]
    assert report["events_checked"] == first_bad - 1
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"seq {first_bad}" in result.stderr


@pytest.mark.usefixtures("trail")
def test_a_cleverly_rehashed_edit_is_caught_at_the_next_link(
    client: FlaskClient, token: Callable[..., dict[str, str]], tamper: Tamper, app: Flask
) -> None:
    import json

    from licensing.domain.chain import canonical_json, seal

    with app.app_context():
        line = db.session.execute(text("SELECT line FROM audit_events WHERE seq = 2")).scalar_one()
    event = json.loads(line)
    event["reason"] = "a softer reason"
    forged = seal({k: v for k, v in event.items() if k != "hash"})
    tamper(
        "UPDATE audit_events SET reason = :reason, hash = :hash, line = :line WHERE seq = 2",
        reason=forged["reason"], hash=forged["hash"], line=canonical_json(forged),
    )  # fmt: skip
    report = client.get(f"{API}/audit/verify", headers=token("auditor")).get_json()
    assert (report["ok"], report["first_bad_seq"]) == (False, 3)
    assert "prev" in report["problem"]


@pytest.mark.parametrize("case", ["edited line", "deleted row", "swapped rows"])
@pytest.mark.usefixtures("trail")
def test_an_export_of_a_tampered_trail_fails_offline_with_its_line(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    tamper: Tamper, tmp_path: Path, case: str,
) -> None:  # fmt: skip
    statement, first_bad, _ = CASES[case]
    tamper(statement)
    export = client.get(
        f"{API}/audit/events", headers=token("auditor"), query_string={"format": "ndjson"}
    )
    path = tmp_path / "export.ndjson"
    path.write_bytes(export.data)
    result = runner.invoke(args=["audit", "verify-export", str(path)])
    assert result.exit_code == 1
    assert f"line {first_bad}" in result.stderr


def test_writes_during_a_verification_are_not_mistaken_for_a_cut_tail(
    app: Flask, client: FlaskClient, regulator: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from licensing.services import audit_trail

    issue(client, regulator)
    real_feed = audit_trail.TrailCheck.feed_checked

    def feed_then_write(self: audit_trail.TrailCheck, checked: object) -> bool:
        held = real_feed(self, checked)  # type: ignore[arg-type]
        issue(client, regulator)  # another writer commits while the walk is under way
        return held

    monkeypatch.setattr(audit_trail.TrailCheck, "feed_checked", feed_then_write)
    with app.app_context():
        report = audit_trail.verify()
    assert (report.ok, report.events_checked) == (True, 1), report
