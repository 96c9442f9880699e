"""Someone with database access rewrites history, or the register the public reads: verification,
in the API, the CLI and on an export, points at the first event or licence that no longer holds.
Same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from licensing.models import db
from licensing.services import verification
from licensing.services.log_build import build_tree
from tests.factories import API, act, issue, written

Tamper = Callable[..., None]


@pytest.fixture
def trail(client: FlaskClient, regulator: dict[str, str]) -> dict[str, str]:
    """Six events: issue, suspend, resume, issue, revoke, issue. The three licences by the status
    they end in."""
    a = issue(client, regulator)["number"]
    act(client, regulator, a, "suspend")
    act(client, regulator, a, "resume")
    b = issue(client, regulator)["number"]
    act(client, regulator, b, "revoke")
    c = issue(client, regulator)["number"]
    assert written(client.application)[1] == 6
    return {"resumed": a, "revoked": b, "issued": c}


@pytest.fixture
def tamper(app: Flask) -> Tamper:
    """Run SQL as someone who first switched the append-only triggers and the foreign keys off."""
    with app.app_context():
        dialect = db.engine.dialect.name

    def run(statement: str, **params: object) -> None:
        with app.app_context(), db.engine.connect() as connection:
            if dialect == "sqlite":  # SQLite ignores this pragma inside a transaction
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            with connection.begin():
                if dialect == "postgresql":
                    connection.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
                    connection.exec_driver_sql("ALTER TABLE log_nodes DISABLE TRIGGER USER")
                    # replica mode skips the foreign-key checks, so a licence row can be deleted
                    connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
                else:
                    connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
                    connection.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
                    connection.exec_driver_sql("DROP TRIGGER IF EXISTS log_nodes_no_update")
                    connection.exec_driver_sql("DROP TRIGGER IF EXISTS log_nodes_no_delete")
                for part in statement.split(";"):
                    connection.execute(text(part), params)
                if dialect == "postgresql":
                    connection.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
                    connection.exec_driver_sql("ALTER TABLE log_nodes ENABLE TRIGGER USER")
            if dialect == "sqlite":
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]

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
    "edited data column": (
        "UPDATE audit_events SET data = '{\"until\":\"2030-01-01\"}' WHERE seq = 2", 2,
        "data column",
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


TREE_CASES = {
    # statement, the seq reported, words in the problem
    "altered node": (
        "UPDATE log_nodes SET hashes = (SELECT hashes FROM log_nodes WHERE leaf = 0)"
        " WHERE leaf = 2", 3, "a stored node was altered",
    ),
    "altered last node": (
        "UPDATE log_nodes SET hashes = (SELECT hashes FROM log_nodes WHERE leaf = 1)"
        " WHERE leaf = 5", 6, "a stored node was altered",
    ),
    "two altered nodes, the first reported": (
        "UPDATE log_nodes SET hashes = (SELECT hashes FROM log_nodes WHERE leaf = 0)"
        " WHERE leaf IN (2, 4)", 3, "stored hashes for event 3",
    ),
    "deleted node row": ("DELETE FROM log_nodes WHERE leaf = 4", 5, "no row for event 5"),
    "deleted first node row": ("DELETE FROM log_nodes WHERE leaf = 0", 1, "no row for event 1"),
    "extra node row": (
        "INSERT INTO log_nodes (leaf, hashes) SELECT 1000, hashes FROM log_nodes WHERE leaf = 0",
        None, "rows for",
    ),
    "frontier kept with the head": (
        "UPDATE audit_head SET tree = (SELECT hashes FROM log_nodes WHERE leaf = 0)", None,
        "kept with the chain head",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", TREE_CASES)
@pytest.mark.usefixtures("trail")
def test_a_tampered_merkle_tree_is_found_though_the_chain_holds(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    tamper: Tamper, case: str,
) -> None:  # fmt: skip
    statement, seq, words = TREE_CASES[case]
    auditor = token("auditor")
    size = client.get(f"{API}/audit/verify", headers=auditor).get_json()["events_checked"]
    tamper(statement)
    report = client.get(f"{API}/audit/verify", headers=auditor).get_json()
    assert report["ok"] is False
    assert report["first_bad_seq"] == (seq or report["first_bad_seq"])
    assert words in report["problem"]
    assert report["events_checked"] == size  # the chain itself holds
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert words in result.stderr


@pytest.mark.usefixtures("trail")
def test_verify_reads_the_trail_and_its_tree_in_one_pass(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_rows: list[str] = []  # which table each row came from, in the order they were read
    read = verification._streamed

    def counted(connection: Any, query: Any) -> Any:
        table = "tree" if "FROM log_nodes" in str(query) else "events"
        for row in read(connection, query):
            read_rows.append(table)
            yield row

    monkeypatch.setattr(verification, "_streamed", counted)
    with app.app_context():
        assert verification.verify(app.config["LICENSING_POLICY"]).ok
    assert read_rows.count("events") == read_rows.count("tree") == 6
    # in step: each event's tree row is read before the next event, not in a pass after the walk
    last_event = len(read_rows) - 1 - read_rows[::-1].index("events")
    assert read_rows.index("tree") < last_event


@pytest.mark.usefixtures("trail")
def test_a_broken_chain_is_reported_before_an_altered_node_ahead_of_it(
    client: FlaskClient, token: Callable[..., dict[str, str]], tamper: Tamper
) -> None:
    tamper(
        "UPDATE log_nodes SET hashes = (SELECT hashes FROM log_nodes WHERE leaf = 0)"
        " WHERE leaf = 2; UPDATE audit_events SET reason = 'x' WHERE seq = 5"
    )
    report = client.get(f"{API}/audit/verify", headers=token("auditor")).get_json()
    assert (report["ok"], report["first_bad_seq"]) == (False, 5)
    assert "node" not in report["problem"]


ROW_COPY = (
    "INSERT INTO licences (number, holder_name, holder_name_folded, holder_bin, subtype,"
    " site_address, region, capacity_mw, issued_on, expires_on, status, status_since,"
    " suspended_until, version, created_at, updated_at)"
    " SELECT 'DM-2026-000099', holder_name, holder_name_folded, holder_bin, subtype, site_address,"
    " region, capacity_mw, issued_on, expires_on, status, status_since, suspended_until, version,"
    " created_at, updated_at FROM licences WHERE number = :number"
)
REGISTER_CASES = {
    # statement on one licence (by the status it ends in), the licence reported, words
    "edited status": (
        "UPDATE licences SET status = 'issued' WHERE number = :number", "revoked", None,
        "status is 'issued' in the register but 'revoked' by its events",
    ),
    "edited holder name": (
        "UPDATE licences SET holder_name = 'Tampered LLP' WHERE number = :number", "issued", None,
        "holder_name is 'Tampered LLP' in the register but 'ТОО «Экибастуз Цифровой Майнинг»'",
    ),
    "edited version": (
        "UPDATE licences SET version = 7 WHERE number = :number", "resumed", None,
        "version is 7 in the register but 3 by its events",
    ),
    "edited suspended_until": (
        "UPDATE licences SET suspended_until = '2026-12-31' WHERE number = :number", "resumed",
        None, "suspended_until is '2026-12-31' in the register but empty by its events",
    ),
    "edited status_since": (
        "UPDATE licences SET status_since = '2026-01-01 00:00:00' WHERE number = :number",
        "revoked", None, "status_since is '20",  # in the database's time zone
    ),
    "deleted row": (
        "DELETE FROM licences WHERE number = :number", "revoked", None, "has no row",
    ),
    "row with no events": (ROW_COPY, "issued", "DM-2026-000099", "no event made"),
}  # fmt: skip


@pytest.mark.parametrize("case", REGISTER_CASES)
def test_verification_names_a_licence_whose_row_its_events_do_not_make(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    tamper: Tamper, trail: dict[str, str], case: str,
) -> None:  # fmt: skip
    statement, which, reported, words = REGISTER_CASES[case]
    reported = reported or trail[which]
    auditor = token("auditor")
    tamper(statement, number=trail[which])
    report = client.get(f"{API}/audit/verify", headers=auditor).get_json()
    assert (report["ok"], report["first_bad_licence"], report["first_bad_seq"]) == (
        False, reported, None,
    )  # fmt: skip
    assert report["problem"].startswith(f"licence {reported}: ")
    assert words in report["problem"]
    assert report["events_checked"] == 6
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"FAILED at licence {reported}: " in result.stderr and words in result.stderr


def test_the_public_sees_a_tampered_row_and_verification_reports_it(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    tamper: Tamper, trail: dict[str, str],
) -> None:  # fmt: skip
    number = trail["revoked"]
    tamper(
        "UPDATE licences SET status = 'issued', holder_name = 'Tampered LLP'"
        " WHERE number = :number",
        number=number,
    )
    public = client.get(f"{API}/status/{number}").get_json()
    assert (public["status"], public["holder_name"]) == ("issued", "Tampered LLP")
    report = client.get(f"{API}/audit/verify", headers=token("auditor")).get_json()
    assert (report["ok"], report["first_bad_licence"]) == (False, number)
    assert "status is 'issued' in the register but 'revoked'" in report["problem"]
    assert "holder_name is 'Tampered LLP'" in report["problem"]


def test_the_first_licence_by_number_is_reported_and_the_others_counted(
    client: FlaskClient, token: Callable[..., dict[str, str]], tamper: Tamper,
    trail: dict[str, str],
) -> None:  # fmt: skip
    tamper("UPDATE licences SET version = version + 1")
    report = client.get(f"{API}/audit/verify", headers=token("auditor")).get_json()
    assert report["first_bad_licence"] == min(trail.values())
    assert "(and 2 more licences disagree too)" in report["problem"]


def test_an_event_its_licence_cannot_take_is_reported_with_its_seq(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    tamper: Tamper, trail: dict[str, str], app: Flask,
) -> None:  # fmt: skip
    """Rewritten and rehashed from the first event to the head, so the chain holds: only the
    replay can tell that the revoked licence was never issued."""
    import json

    from licensing.domain.chain import GENESIS, canonical_json, seal

    with app.app_context():
        lines = db.session.execute(text("SELECT line FROM audit_events ORDER BY seq")).scalars()
        events = [json.loads(line) for line in lines]
    events = [
        e for e in events if not (e["licence"] == trail["revoked"] and e["action"] == "issue")
    ]
    prev, statements, params = GENESIS, ["DELETE FROM audit_events"], {}
    for seq, event in enumerate(events, start=1):
        body = {k: v for k, v in event.items() if k != "hash"} | {"seq": seq, "prev": prev}
        sealed = seal(body)
        prev = sealed["hash"]
        statements.append(
            "INSERT INTO audit_events (seq, licence, action, from_status, to_status, reason_code,"
            " reason, legal_basis, data, actor, role, request_id, at, prev, hash, line)"
            f" VALUES ({seq}, :licence{seq}, :action{seq}, :from{seq}, :to{seq}, :code{seq},"
            f" :reason{seq}, :basis{seq}, :data{seq}, :actor{seq}, :role{seq}, :rid{seq},"
            f" :at{seq}, :prev{seq}, :hash{seq}, :line{seq})"
        )
        params.update({
            f"licence{seq}": sealed["licence"], f"action{seq}": sealed["action"],
            f"from{seq}": sealed["from"], f"to{seq}": sealed["to"],
            f"code{seq}": sealed["reason_code"], f"reason{seq}": sealed["reason"],
            f"basis{seq}": sealed["legal_basis"], f"data{seq}": canonical_json(sealed["data"]),
            f"actor{seq}": sealed["actor"], f"role{seq}": sealed["role"],
            f"rid{seq}": sealed["request_id"], f"at{seq}": sealed["at"],
            f"prev{seq}": sealed["prev"], f"hash{seq}": sealed["hash"],
            f"line{seq}": canonical_json(sealed),
        })  # fmt: skip
    statements.append(f"UPDATE audit_head SET seq = {len(events)}, hash = '{prev}', tree = ''")
    statements.append("DELETE FROM log_nodes")  # and the tree made again from the new trail
    tamper(";".join(statements), **params)
    with app.app_context(), db.engine.begin() as connection:
        build_tree(connection)
    report = client.get(f"{API}/audit/verify", headers=token("auditor")).get_json()
    assert (report["ok"], report["first_bad_licence"], report["first_bad_seq"]) == (
        False, trail["revoked"], 4,
    )  # fmt: skip
    assert "before the licence was issued" in report["problem"]
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"FAILED at licence {trail['revoked']} (seq 4)" in result.stderr


def test_an_untouched_register_verifies_after_every_kind_of_change(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    regulator: dict[str, str],
) -> None:  # fmt: skip
    a = issue(client, regulator)["number"]
    b = issue(client, regulator, holder_name="ИП «Ёлка»", capacity_mw="7.250")["number"]
    assert act(client, regulator, a, "suspend").status_code == 200
    assert act(client, regulator, a, "resume").status_code == 200
    amended = client.patch(
        f"{API}/licences/{a}", json={"holder_name": "ТОО «Новое»", "capacity_mw": "30.5"},
        headers={**regulator, "If-Match": '"3"'},
    )  # fmt: skip
    assert amended.status_code == 200
    assert act(client, regulator, a, "suspend").status_code == 200
    assert act(client, regulator, b, "suspend").status_code == 200
    assert act(client, regulator, b, "revoke").status_code == 200
    report = client.get(f"{API}/audit/verify", headers=token("auditor")).get_json()
    assert report == {
        "ok": True, "events_checked": 8, "head": report["head"], "first_bad_seq": None,
        "first_bad_licence": None, "problem": None,
    }  # fmt: skip
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 8 events hold; head seq 8")
    assert "the register matches" in result.stdout


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
    from licensing.services import verification

    issue(client, regulator)
    real_feed = verification.TrailCheck.feed_checked

    def feed_then_write(self: verification.TrailCheck, checked: object) -> bool:
        held = real_feed(self, checked)  # type: ignore[arg-type]
        issue(client, regulator)  # another writer commits while the walk is under way
        return held

    monkeypatch.setattr(verification.TrailCheck, "feed_checked", feed_then_write)
    with app.app_context():
        report = verification.verify(app.config["LICENSING_POLICY"])
    assert (report.ok, report.events_checked) == (True, 1), report


FEED_CASES = {
    # statement, the seq reported, its licence (by the trail fixture's names), words
    "edited item": (
        "UPDATE changes SET item ="
        " replace(item, '\"status\":\"suspended\"', '\"status\":\"issued\"') WHERE seq = 2",
        2, "resumed", "(item differ)",
    ),
    "edited region, which routes webhooks": (
        "UPDATE changes SET region = region || 'x' WHERE seq = 4", 4, "revoked", "(region differ)",
    ),
    "swapped items": (
        "UPDATE changes SET item = (SELECT item FROM changes WHERE seq = 6) WHERE seq = 4",
        4, "revoked", "item differ",
    ),
    "deleted item": ("DELETE FROM changes WHERE seq = 5", 5, "revoked", "no item for seq 5"),
    "item for no event": (
        "INSERT INTO changes (seq, licence, region, holder_bin, action, item)"
        " SELECT 99, licence, region, holder_bin, action, item FROM changes WHERE seq = 6",
        99, "issued", "1 row for no event",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", FEED_CASES)
def test_a_tampered_change_feed_is_found_though_the_chain_and_the_register_hold(
    client: FlaskClient, runner: FlaskCliRunner, token: Callable[..., dict[str, str]],
    tamper: Tamper, trail: dict[str, str], case: str,
) -> None:  # fmt: skip
    statement, seq, which, words = FEED_CASES[case]
    auditor = token("auditor")
    assert client.get(f"{API}/audit/verify", headers=auditor).get_json()["ok"] is True
    tamper(statement)
    report = client.get(f"{API}/audit/verify", headers=auditor).get_json()
    assert (report["ok"], report["first_bad_seq"], report["first_bad_licence"]) == (
        False, seq, trail[which],
    )  # fmt: skip
    assert "change feed" in report["problem"] and words in report["problem"], report
    assert report["events_checked"] == 6
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"FAILED at licence {trail[which]} (seq {seq}): " in result.stderr


def test_the_public_reads_a_tampered_feed_item_and_verification_reports_it(
    client: FlaskClient, token: Callable[..., dict[str, str]], tamper: Tamper,
    trail: dict[str, str],
) -> None:  # fmt: skip
    tamper('UPDATE changes SET item = replace(item, \'"to":"revoked"\', \'"to":"resumed"\')')
    shown = client.get(f"{API}/changes").get_json()["items"]
    report = client.get(f"{API}/audit/verify", headers=token("auditor")).get_json()
    assert [item["to"] for item in shown if item["seq"] == 5] == ["resumed"]
    assert (report["ok"], report["first_bad_seq"], report["first_bad_licence"]) == (
        False, 5, trail["revoked"],
    )  # fmt: skip
