"""Operator commands (`flask --app licensing tokens|users|demo|audit|keys|statements|
reason-codes ...`); each calls a service."""

from __future__ import annotations

import json
import re
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from flask_migrate.cli import db as db_cli
from sqlalchemy import inspect

from licensing.domain import checkpoints
from licensing.domain.errors import InvalidFields
from licensing.domain.exports import EXPORT_FORMATS
from licensing.domain.jws import MAX_TOKEN_CHARS
from licensing.domain.lifecycle import ACTIONS
from licensing.domain.reasons import LANGUAGES
from licensing.domain.roles import REGULATOR, ROLES
from licensing.domain.trail_parallel import check_export
from licensing.models import db
from licensing.services import (
    accounts,
    audit_trail,
    backup,
    demo,
    public,
    signing,
    statements,
    tokens,
    verification,
)
from licensing.services.context import Actor, Context

tokens_cli = AppGroup("tokens", help="Create, list and revoke API tokens.")
INSTANT_FORMATS = ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d"]


def init_app(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(statements_cli)
    app.cli.add_command(reason_codes_command)


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


users_cli = AppGroup("users", help="Accounts for people who use the console.")


@users_cli.command("create")
@click.option("--role", required=True, type=click.Choice(accounts.PERSON_ROLES))
@click.option("--name", required=True, help="Who it is; recorded as the actor of their changes.")
@click.option("--email", required=True, help="Their e-mail address (they may sign in with it).")
def create_user(role: str, name: str, email: str) -> None:
    """Create an account and print its one-time set-up link, alone, on standard output."""
    _require_schema()
    try:
        secret = accounts.create(name, email, role, current_app.config["LICENSING_SETUP_LINK"])
    except InvalidFields as error:
        _refuse(error)
    click.echo(_setup_link(secret))


@users_cli.command("list")
def list_users() -> None:
    """List accounts: name, role, state, e-mail."""
    _require_schema()
    for user in accounts.listing(current_app.config["LICENSING_SIGNIN_POLICY"]):
        click.echo(f"{user.name}\t{user.role}\t{user.state}\t{user.email}")


@users_cli.command("disable")
@click.argument("name")
def disable_user(name: str) -> None:
    """Stop an account from signing in and end its sessions."""
    _require_schema()
    if not accounts.disable(name):
        raise click.ClickException(f"no account named {name!r}")
    click.echo(f"disabled {name}", err=True)


@users_cli.command("reset")
@click.argument("name")
def reset_user(name: str) -> None:
    """Clear an account's password and second factor, enable it, end its sessions, and print a
    new set-up link."""
    _require_schema()
    secret = accounts.reset(name, current_app.config["LICENSING_SETUP_LINK"])
    if secret is None:
        raise click.ClickException(f"no account named {name!r}")
    click.echo(_setup_link(secret))


def _setup_link(secret: str) -> str:
    return f"{current_app.config['LICENSING_BASE_URL']}/console/setup/{secret}"


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
    # on standard error, so standard output stays the three token lines scripts read
    click.echo(f"the demo miner holds {', '.join(demo.miner_licences())}", err=True)
    click.echo("earlier demo tokens, if any, are revoked", err=True)


audit_cli = AppGroup("audit", help="Verify and export the audit trail.")
keys_cli = AppGroup("keys", help="The registry's signing keys.")
statements_cli = AppGroup("statements", help="Check signed status statements.")


@db_cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_database(file: Path) -> None:
    """Back the database up to FILE while the registry serves: SQLite's online backup, or pg_dump
    on PostgreSQL. See docs/operations.md for restoring."""
    _require_schema()
    try:
        how = backup.backup(file)
    except backup.BackupRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {file} ({how})")


@audit_cli.command("verify")
def verify_trail() -> None:
    """Walk the chain in the database and replay every licence's events against the register;
    exit 1 at the first event or licence that does not hold."""
    _require_schema()
    result = verification.verify()
    head = f"seq {result.head['seq']} ({result.head['hash']})" if result.head else "empty"
    if result.ok:
        click.echo(f"ok: {result.events_checked} events hold; head {head}; the register matches")
        return
    if result.first_bad_licence is None:  # the chain itself is broken
        click.echo(
            f"FAILED at seq {result.first_bad_seq}: {result.problem}\n"
            f"{result.events_checked} events held before it; last good {head}",
            err=True,
        )
    else:
        at = f" (seq {result.first_bad_seq})" if result.first_bad_seq else ""
        click.echo(
            f"FAILED at licence {result.first_bad_licence}{at}: {result.problem}\n"
            f"the chain holds: {result.events_checked} events; head {head}",
            err=True,
        )
    sys.exit(1)


@audit_cli.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="ndjson", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: standard output).",
)
@click.option("--licence", help="Only this licence's events.")
@click.option("--action", type=click.Choice(ACTIONS), help="Only this action.")
@click.option("--actor", help="Only events by this token name.")
@click.option(
    "--since", type=click.DateTime(INSTANT_FORMATS), help="Events at or after this UTC time."
)
@click.option("--until", type=click.DateTime(INSTANT_FORMATS), help="Events before this UTC time.")
@click.option("--after-seq", type=click.IntRange(min=0), help="Events after this seq.")
def export_trail(
    fmt: str, out: str | None, since: datetime | None, until: datetime | None, **filters: Any
) -> None:
    """Export the trail, oldest first. A progress bar shows on a terminal, never in a pipe."""
    _require_schema()
    chosen = audit_trail.TrailFilters(
        since=since and since.replace(tzinfo=UTC),
        until=until and until.replace(tzinfo=UTC),
        **filters,
    )
    target = open(out, "wb") if out else sys.stdout.buffer  # noqa: SIM115
    progress = (
        _progress(audit_trail.count(chosen)) if _show_progress(to_stdout=out is None) else None
    )
    try:
        for batch in audit_trail.export(chosen, fmt):
            target.write(batch.data)
            if progress is not None:
                progress.update(batch.events)
    finally:
        if progress is not None:
            progress.render_finish()
        if out:
            target.close()
        else:
            target.flush()


@audit_cli.command("verify-export")
@click.argument("export_file", type=click.File("rb"))
@click.option(
    "--checkpoint",
    "kept",
    multiple=True,
    help="A checkpoint you kept (the JWS, or a file holding it); may repeat.",
)
@click.option(
    "--jwks", type=click.File("rb"), help="The registry's JWKS, to check checkpoint signatures."
)
def verify_export(export_file: BinaryIO, kept: tuple[str, ...], jwks: BinaryIO | None) -> None:
    """Check an NDJSON export offline, with no database: every hash, every link, and that it still
    reproduces each kept checkpoint. Exit 0 only when all holds."""
    anchors = []
    if kept:
        if jwks is None:
            raise click.UsageError("checking a checkpoint needs the registry's keys: give --jwks")
        try:
            keys = json.load(jwks)
        except ValueError:
            raise click.BadParameter("not a JSON key set", param_hint="--jwks") from None
        for given in kept:
            token = _jws_text(given, "checkpoint", "--checkpoint")
            try:
                anchors.append(checkpoints.read(token, keys))
            except checkpoints.CheckpointRefused as error:
                click.echo(f"checkpoint refused: {error}", err=True)
                sys.exit(1)
    walk = check_export(export_file, anchors)
    if walk.finding is None:
        head = f"seq {walk.head.seq} ({walk.head.hash})" if walk.head else "no events"
        reached = f"; reproduces {len(anchors)} checkpoint(s)" if anchors else ""
        click.echo(f"ok: {walk.events_checked} events hold; head {head}{reached}")
        return
    where = f"line {walk.finding.line}" if walk.finding.line else "end of file"
    click.echo(f"FAILED at {where} (seq {walk.finding.seq}): {walk.finding.problem}", err=True)
    sys.exit(1)


@keys_cli.command("rotate")
def rotate_key() -> None:
    """Make a new current signing key; the old public key stays in the JWKS. Workers that share the
    key file reload it by themselves; give other hosts the new file."""
    _require_schema()
    key = current_app.extensions["licensing.signer"].rotate()
    click.echo(f"new signing key {key.kid}", err=True)


@keys_cli.command("jwks")
def print_jwks() -> None:
    """Print the public keys as a JWKS (for checking checkpoints offline)."""
    _require_schema()
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
    token = _jws_text(statement, "statement", "STATEMENT")
    if jwks is None:
        _require_schema()
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


def _jws_text(given: str, what: str, param_hint: str) -> str:
    """A compact JWS given on the command line: the token itself, or a file that holds it."""
    if re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", given.strip()):
        return given.strip()
    try:
        with open(given, encoding="utf-8", errors="replace") as handle:
            return handle.read(MAX_TOKEN_CHARS + 1).strip()  # a longer one is refused anyway
    except OSError:
        raise click.BadParameter(
            f"{given[:80]!r} is neither a {what} nor a file holding one", param_hint=param_hint
        ) from None


def _show_progress(*, to_stdout: bool) -> bool:
    # a bar only for a person watching: stderr is a terminal, and the data is not going there too
    return sys.stderr.isatty() and not (to_stdout and sys.stdout.isatty())


def _progress(total: int) -> Any:
    bar = click.progressbar(
        length=total, label="exporting", file=sys.stderr, show_pos=True, show_percent=True
    )
    bar.render_progress()
    return bar


@click.command("reason-codes")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True)
@with_appcontext
def reason_codes_command(lang: str) -> None:
    """List the reason-code catalogue: each code, the actions this registry accepts it for, its
    label and the provision it rests on."""
    for reason in public.reason_codes(current_app.config["LICENSING_POLICY"]):
        accepted = ",".join(reason.accepted_for) or "-"
        click.echo(f"{reason.code}\t{accepted}\t{reason.labels[lang]}\t{reason.article[lang]}")
