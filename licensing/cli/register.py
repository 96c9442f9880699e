"""The register as a whole: a demo to try it (`demo`), a backup while it serves (`db backup`),
its reason codes (`reason-codes`)."""

from __future__ import annotations

import uuid
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate.cli import db as db_cli

from licensing.cli.arguments import require_schema
from licensing.cli.documents import trial_certificate_if_none
from licensing.domain.reasons import LANGUAGES
from licensing.domain.roles import REGULATOR
from licensing.services import (
    backup,
    demo,
    public,
)
from licensing.services.context import Actor, Context


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load a demo register (if empty); print fresh regulator, auditor and miner tokens."""
    require_schema()
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
    # on standard error, so standard output stays the three token lines scripts read
    click.echo(f"the demo miner holds {', '.join(demo.miner_licences())}", err=True)
    click.echo("earlier demo tokens, if any, are revoked", err=True)
    if made := trial_certificate_if_none():
        click.echo(f"{made} (production needs one from a trusted authority)", err=True)


@db_cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_database(file: Path) -> None:
    """Back the database up to FILE while the registry serves: SQLite's online backup, or pg_dump
    on PostgreSQL. See docs/operations.md for restoring."""
    require_schema()
    try:
        how = backup.backup(file)
    except backup.BackupRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {file} ({how})")


@click.command("reason-codes")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True)
@with_appcontext
def reason_codes_command(lang: str) -> None:
    """List the reason-code catalogue: each code, the actions this registry accepts it for, its
    label and the provision it rests on."""
    for reason in public.reason_codes(current_app.config["LICENSING_POLICY"]):
        accepted = ",".join(reason.accepted_for) or "-"
        click.echo(f"{reason.code}\t{accepted}\t{reason.labels[lang]}\t{reason.article[lang]}")
