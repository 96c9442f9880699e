"""How commands read what they are given (instants; a compact JWS, or a file holding one) and
refuse what they cannot take (a bad option named as the API names fields; a database with no
schema)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import click
from flask import current_app

from licensing.domain import notes
from licensing.domain.errors import InvalidFields
from licensing.domain.jws import MAX_TOKEN_CHARS
from licensing.services import proofs, readiness


def refuse(error: InvalidFields) -> None:
    for field, messages in error.errors.items():
        click.echo(f"error: --{field}: {' '.join(messages)}", err=True)
    sys.exit(2)


def require_schema() -> None:
    if not readiness.has_schema():
        raise click.ClickException(
            "the database has no schema: run `flask --app licensing db upgrade`"
        )


INSTANT_FORMATS = ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d"]


def jws_text(given: str, what: str, param_hint: str) -> str:
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


def text_file(
    given: str, limit: int, recognised: Callable[[str], bool], what: str, param_hint: str
) -> str | None:
    """The text of the file `given` (newlines as LF) when `recognised` says it holds what is
    wanted; None when it is no file, or holds something else (a token given inline, say).
    BadParameter when it is what is wanted but longer than `limit` bytes."""
    try:
        with open(given, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError:
        return None
    text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    if not recognised(text):
        return None
    if len(raw) > limit:
        raise click.BadParameter(f"{what} is at most {limit} bytes", param_hint=param_hint)
    return text


def log_keys(vkeys: tuple[str, ...], witnesses: tuple[str, ...] = ()) -> proofs.LogKeys:
    """The log's keys given as --vkey (and the witnesses' as --witness); with none given, the
    registry's own and the witnesses it names, from its database."""
    if not vkeys:
        require_schema()
        return proofs.registry_keys(
            current_app.extensions["licensing.signer"], current_app.config["LICENSING_LOG"]
        )
    try:
        return proofs.given_keys(vkeys, witnesses)
    except notes.NoteRefused as error:
        hint = "--vkey/--witness" if witnesses else "--vkey"
        raise click.BadParameter(str(error), param_hint=hint) from None
