"""The registry's signing keys (`keys rotate|jwks`) and its statements checked offline
(`statements verify`)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.cli.arguments import INSTANT_FORMATS, jws_text, log_keys, require_schema, text_file
from licensing.domain.log_proofs import is_tlog_proof
from licensing.domain.statement_rules import StatementCheck
from licensing.domain.timestamps import format_utc
from licensing.services import (
    proofs,
    readiness,
    signing,
    statements,
)

MAX_PROOF_BYTES = 65_536  # a proof is a statement, a path and a checkpoint: a few KB

keys_cli = AppGroup("keys", help="The registry's signing keys.")
statements_cli = AppGroup("statements", help="Check signed status statements.")


@keys_cli.command("rotate")
def rotate_key() -> None:
    """Make a new current signing key; the old public key stays in the JWKS. Workers that share the
    key file reload it by themselves; give other hosts the new file."""
    require_schema()
    key = current_app.extensions["licensing.signer"].rotate()
    click.echo(f"new signing key {key.kid}", err=True)


@keys_cli.command("jwks")
def print_jwks() -> None:
    """Print the public keys as a JWKS (for checking checkpoints offline)."""
    require_schema()
    current_app.extensions["licensing.signer"].current()
    click.echo(json.dumps(signing.jwks(), indent=2))


@statements_cli.command("verify")
@click.argument("statement")
@click.option(
    "--jwks",
    type=click.File("rb"),
    help="The registry's JWKS (/.well-known/jwks.json); then no database is needed. "
    "Default: the registry's own keys, from its database.",
)
@click.option(
    "--at",
    type=click.DateTime(INSTANT_FORMATS),
    help="Check as of this UTC time (default: now).",
)
@click.option(
    "--vkey",
    "vkeys",
    multiple=True,
    help="For a .tlog-proof: the log's verifier key (/api/v1/log `vkey`, and each of its "
    "`retired_vkeys`); may repeat. Default: the registry's own, from its database.",
)
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    help="For a .tlog-proof: a witness's cosignature vkey whose cosignature counts; may repeat. "
    "Default with no --vkey: the witnesses the registry names.",
)
def verify_statement(
    statement: str,
    jwks: BinaryIO | None,
    at: datetime | None,
    vkeys: tuple[str, ...],
    witnesses: tuple[str, ...],
) -> None:
    """Check a signed status statement (the JWS, or a file holding it) or a statement's
    .tlog-proof file: print its claims and whether it is genuine and current, and for a proof
    where its event is in the log and which witnesses cosigned that tree. Exit 0 only when all
    holds."""
    proof = _proof_text(statement)
    if jwks is None or (proof is not None and not vkeys):
        require_schema()
    keys = None
    if jwks is not None:
        try:
            keys = json.load(jwks)
        except ValueError:
            raise click.BadParameter("not a JSON key set", param_hint="--jwks") from None
    moment = at and at.replace(tzinfo=UTC)
    issuer = current_app.config["LICENSING_STATEMENTS"].issuer
    if proof is None:
        found = _against_register(
            statements.check(jws_text(statement, "statement", "STATEMENT"), keys, moment, issuer),
            moment,
        )
        _print_claims(found.claims)
        _print_changes(found)
        _verdict(found.holds, found.verdict)
        return
    checked = proofs.check(proof, current_app.config["LICENSING_STATEMENTS"],
                           log_keys(vkeys, witnesses), keys, moment)  # fmt: skip
    if checked.statement is not None:
        checked = replace(checked, statement=_against_register(checked.statement, moment))
    _print_claims(checked.statement.claims if checked.statement else None)
    if checked.statement is not None:
        _print_changes(checked.statement)
    if checked.in_log:
        click.echo(f"{'in log':<16}position {checked.position} of a tree of {checked.size}")
        for seen in checked.cosigned:
            when = seen.at.strftime("%Y-%m-%dT%H:%M:%SZ")
            click.echo(f"{'witness':<16}{seen.name} cosigned at {when}")
    for name in checked.not_counted:
        click.echo(f"{'not counted':<16}{name} (an unknown key, or a signature that does not hold)")
    _verdict(checked.holds, checked.verdict)


def _proof_text(given: str) -> str | None:
    """The text of a .tlog-proof file, or None when `given` is no such file."""
    return text_file(given, MAX_PROOF_BYTES, is_tlog_proof, "a proof", "FILE")


def _against_register(check: StatementCheck, moment: datetime | None) -> StatementCheck:
    """With the registry's database at hand, a statement the register has moved past is
    superseded; without one (an offline check with --jwks), it is judged by itself."""
    if not readiness.has_schema():
        return check
    return statements.against_register(check, current_app.config["LICENSING_POLICY"], moment)


def _print_changes(check: StatementCheck) -> None:
    for change in check.changed_since:
        decision = f", decision {change.decision['number']}" if change.decision else ""
        step = f"{change.action} ({change.from_status} -> {change.to_status})"
        click.echo(f"{'changed since':<16}{format_utc(change.at)} {step}{decision}")


def _print_claims(claims: dict[str, Any] | None) -> None:
    for name, value in (claims or {}).items():
        if name in ("iat", "exp"):  # seconds since 1970 in the token; a time for the reader
            value = datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        click.echo(f"{name:<16}{json.dumps(value, ensure_ascii=False)}")


def _verdict(holds: bool, verdict: str) -> None:
    if holds:
        click.echo(f"ok: {verdict}")
        return
    click.echo(f"REFUSED: {verdict}", err=True)
    sys.exit(1)
