from __future__ import annotations

from collections import Counter

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from licensing.models import AuditEvent, db
from licensing.services.events import as_events
from tests.factories import API, chain_holds


def test_demo_loads_a_register_with_histories_and_prints_three_working_tokens(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert set(lines) == {"regulator", "auditor", "miner"}
    tokens = {role: rest.split()[0] for role, rest in lines.items()}
    client = app.test_client()

    regulator = {"Authorization": f"Bearer {tokens['regulator']}"}
    register = client.get(f"{API}/licences?page_size=100", headers=regulator).get_json()
    assert register["total"] >= 30
    assert len({item["region"] for item in register["items"]}) >= 15
    statuses = Counter(item["status"] for item in register["items"])
    assert {"issued", "suspended", "resumed", "revoked"} <= set(statuses)

    with app.app_context():
        events = as_events(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert {"issue", "suspend", "resume", "revoke", "amend"} <= {e["action"] for e in events}
    assert chain_holds(app)

    miner = {"Authorization": f"Bearer {tokens['miner']}"}
    own = client.get(f"{API}/licences", headers=miner).get_json()
    assert own["total"] >= 1
    assert {item["holder_bin"] for item in own["items"]} == {
        lines["miner"].split("BIN ")[1].rstrip(")")
    }
    numbers = ", ".join(sorted(item["number"] for item in own["items"]))
    assert f"the demo miner holds {numbers}" in result.stderr

    auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
    assert client.get(f"{API}/licences", headers=auditor).status_code == 200


def test_demo_again_adds_no_licences_and_replaces_its_tokens(
    app: Flask, runner: FlaskCliRunner
) -> None:
    first = runner.invoke(args=["demo"]).stdout.split()[1]
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "none were added" in second.stderr
    old = {"Authorization": f"Bearer {first}"}
    assert app.test_client().get(f"{API}/licences", headers=old).status_code == 401
