"""The registry's signing keys (`keys rotate|jwks`) and its statements checked offline
(`statements verify`)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.cli.arguments import INSTANT_FORMATS, jws_text, require_schema
from licensing.services import (
    signing,
    statements,
)

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
def verify_statement(statement: str, jwks: BinaryIO | None, at: datetime | None) -> None:
    """Check a signed status statement (the JWS, or a file holding it): print its claims and
    whether it is genuine and current. Exit 0 only when it is both."""
    token = jws_text(statement, "statement", "STATEMENT")
    if jwks is None:
        require_schema()
        keys = None
    else:
        try:
            keys = json.load(jwks)
        except ValueError:
            raise click.BadParameter("not a JSON key set", param_hint="--jwks") from None
    found = statements.check(token, keys, at and at.replace(tzinfo=UTC))
    for name, value in (found.claims or {}).items():
        if name in ("iat", "exp"):  # seconds since 1970 in the token; a time for the reader
            value = datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        click.echo(f"{name:<16}{json.dumps(value, ensure_ascii=False)}")
    if found.holds:
        click.echo(f"ok: {found.verdict}")
        return
    click.echo(f"REFUSED: {found.verdict}", err=True)
    sys.exit(1)
