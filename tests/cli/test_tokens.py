from __future__ import annotations

import hashlib

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from licensing.models import ApiToken, db
from tests.factories import API, VALID_BIN


def test_create_prints_the_token_alone_and_stores_only_its_hash(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["tokens", "create", "--role", "regulator", "--name", "alice"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("lic_") and len(token) > 40
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(vars(row))
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get(f"{API}/licences", headers=headers).status_code == 200


def test_a_miner_token_is_bound_to_a_valid_bin(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["tokens", "create", "--role", "miner", "--name", "m", "--bin", VALID_BIN]
    )
    assert result.exit_code == 0
    for bad in (["--bin", "971240001316"], []):
        refused = runner.invoke(args=["tokens", "create", "--role", "miner", "--name", "m2", *bad])
        assert refused.exit_code == 2 and "--bin" in refused.stderr and refused.stdout == ""
    refused = runner.invoke(
        args=["tokens", "create", "--role", "auditor", "--name", "a", "--bin", VALID_BIN]
    )
    assert refused.exit_code == 2


def test_names_are_unique_among_active_tokens(runner: FlaskCliRunner) -> None:
    create = ["tokens", "create", "--role", "auditor", "--name", "audit-office"]
    assert runner.invoke(args=create).exit_code == 0
    again = runner.invoke(args=create)
    assert again.exit_code == 2 and "already" in again.stderr
    assert runner.invoke(args=["tokens", "revoke", "audit-office"]).exit_code == 0
    assert runner.invoke(args=create).exit_code == 0


def test_list_shows_tokens_without_secrets_and_revoke_ends_them(
    app: Flask, runner: FlaskCliRunner
) -> None:
    token = runner.invoke(
        args=["tokens", "create", "--role", "regulator", "--name", "bob"]
    ).stdout.strip()
    runner.invoke(
        args=["tokens", "create", "--role", "miner", "--name", "miner-1", "--bin", VALID_BIN]
    )
    assert runner.invoke(args=["tokens", "revoke", "bob"]).exit_code == 0
    listing = runner.invoke(args=["tokens", "list"]).stdout
    assert "bob" in listing and "miner-1" in listing and VALID_BIN in listing
    assert token not in listing and "lic_" not in listing
    bob_line = next(line for line in listing.splitlines() if line.startswith("bob"))
    assert not bob_line.rstrip().endswith("-")  # revoked: shows when
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get(f"{API}/licences", headers=headers).status_code == 401


def test_revoking_an_unknown_token_fails(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["tokens", "revoke", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.output


def test_an_unknown_role_is_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["tokens", "create", "--role", "superuser", "--name", "x"])
    assert result.exit_code == 2
