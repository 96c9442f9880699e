"""Operator commands: `flask --app licensing tokens ...`, `demo`. Each calls a service."""

from __future__ import annotations

import sys
import uuid

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import inspect

from licensing.domain.errors import InvalidFields
from licensing.domain.roles import REGULATOR, ROLES
from licensing.models import db
from licensing.services import demo, tokens
from licensing.services.context import Actor, Context

tokens_cli = AppGroup("tokens", help="Create, list and revoke API tokens.")


def init_app(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
    app.cli.add_command(demo_command)


def main() -> None:
    """The `licensing` console script: the same commands as `flask --app licensing`."""
    from licensing import create_app

    FlaskGroup(create_app=create_app)(prog_name="licensing")


def _refuse(error: InvalidFields) -> None:
    for field, messages in error.errors.items():
        click.echo(f"error: --{field}: {' '.join(messages)}", err=True)
    sys.exit(2)


def _require_schema() -> None:
    if not inspect(db.engine).has_table("audit_head"):
        raise click.ClickException(
            "the database has no schema: run `flask --app licensing db upgrade`"
        )


@tokens_cli.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the token may do.")
@click.option("--name", required=True, help="Who holds it; recorded as the actor of its changes.")
@click.option("--bin", "holder_bin", help="For a miner token: the holder's 12-digit BIN/IIN.")
def create_token(role: str, name: str, holder_bin: str | None) -> None:
    """Create a token and print it, alone, on standard output. It is shown only this once."""
    _require_schema()
    try:
        click.echo(tokens.create(name, role, holder_bin))
    except InvalidFields as error:
        _refuse(error)


@tokens_cli.command("list")
def list_tokens() -> None:
    """List tokens (never their secrets)."""
    _require_schema()
    rows = tokens.listing()
    click.echo(f"{'NAME':<32} {'ROLE':<10} {'BIN':<12} {'CREATED':<20} REVOKED")
    for t in rows:
        created = t.created_at.strftime("%Y-%m-%d %H:%M:%S")
        revoked = t.revoked_at.strftime("%Y-%m-%d %H:%M:%S") if t.revoked_at else "-"
        click.echo(f"{t.name:<32} {t.role:<10} {t.holder_bin or '-':<12} {created:<20} {revoked}")


@tokens_cli.command("revoke")
@click.argument("name")
def revoke_token(name: str) -> None:
    """Revoke the active token called NAME; it stops working at once."""
    _require_schema()
    if not tokens.revoke(name):
        raise click.ClickException(f"no active token is called {name!r}")
    click.echo(f"revoked {name}", err=True)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load a demo register (if empty); print fresh regulator, auditor and miner tokens."""
    _require_schema()
    ctx = Context(
        actor=Actor(name="demo", role=REGULATOR),
        policy=current_app.config["LICENSING_POLICY"],
        request_id=f"cli-{uuid.uuid4().hex}",
    )
    loaded = demo.load(ctx)
    if loaded:
        click.echo(f"loaded {loaded} licences with their histories", err=True)
    else:
        click.echo("the register already holds licences; none were added", err=True)
    for role, _name, secret, holder_bin in demo.make_tokens():
        suffix = f"  (holder BIN {holder_bin})" if holder_bin else ""
        click.echo(f"{role:<10} {secret}{suffix}")
