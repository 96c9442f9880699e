"""Who may act: API tokens (`tokens create|list|revoke`) and console accounts
(`users create|list|disable|reset|unlock`)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.cli.arguments import refuse, require_schema
from licensing.domain.errors import InvalidFields
from licensing.domain.roles import ROLES
from licensing.http.addresses import absolute_url
from licensing.services import (
    accounts,
    tokens,
)

tokens_cli = AppGroup("tokens", help="Create, list and revoke API tokens.")


@tokens_cli.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the token may do.")
@click.option("--name", required=True, help="Who holds it; recorded as the actor of its changes.")
@click.option("--bin", "holder_bin", help="For a miner token: the holder's 12-digit BIN/IIN.")
def create_token(role: str, name: str, holder_bin: str | None) -> None:
    """Create a token and print it, alone, on standard output. It is shown only this once."""
    require_schema()
    try:
        click.echo(tokens.create(name, role, holder_bin))
    except InvalidFields as error:
        refuse(error)


@tokens_cli.command("list")
def list_tokens() -> None:
    """List tokens (never their secrets)."""
    require_schema()
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
    require_schema()
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
    require_schema()
    try:
        secret = accounts.create(name, email, role, current_app.config["LICENSING_SETUP_LINK"])
    except InvalidFields as error:
        refuse(error)
    click.echo(_setup_link(secret))


@users_cli.command("list")
def list_users() -> None:
    """List accounts: name, role, state, e-mail."""
    require_schema()
    for user in accounts.listing(current_app.config["LICENSING_SIGNIN_POLICY"]):
        click.echo(f"{user.name}\t{user.role}\t{user.state}\t{user.email}")


@users_cli.command("disable")
@click.argument("name")
def disable_user(name: str) -> None:
    """Stop an account from signing in and end its sessions."""
    require_schema()
    if not accounts.disable(name):
        raise click.ClickException(f"no account named {name!r}")
    click.echo(f"disabled {name}", err=True)


@users_cli.command("reset")
@click.argument("name")
def reset_user(name: str) -> None:
    """Clear an account's password and second factor, enable it, end its sessions, and print a
    new set-up link."""
    require_schema()
    secret = accounts.reset(name, current_app.config["LICENSING_SETUP_LINK"])
    if secret is None:
        raise click.ClickException(f"no account named {name!r}")
    click.echo(_setup_link(secret))


@users_cli.command("unlock")
@click.argument("name", required=False)
@click.option("--address", help="Clear the failures counted against this client address instead.")
def unlock_user(name: str | None, address: str | None) -> None:
    """Clear the sign-in lock (the failed attempts counted) of the account NAME, at its name and
    e-mail address; or, with --address, of a client address."""
    require_schema()
    if (name is None) == (address is None):
        raise click.UsageError("give an account's NAME or --address, one of them")
    if address is not None:
        cleared = accounts.unlock_address(address)
        click.echo(f"{'unlocked' if cleared else 'nothing to clear for'} {address}", err=True)
        return
    assert name is not None
    found = accounts.unlock(name)
    if found is None:
        raise click.ClickException(f"no account named {name!r}")
    click.echo(f"{'unlocked' if found else 'nothing to clear for'} {name}", err=True)


def _setup_link(secret: str) -> str:
    return absolute_url("console.setup", secret=secret)
