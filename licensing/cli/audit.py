"""The audit trail for auditors: `audit verify`, `audit export`, `audit verify-export`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.cli.arguments import INSTANT_FORMATS, jws_text, log_keys, require_schema, text_file
from licensing.domain import checkpoints, notes
from licensing.domain.exports import EXPORT_FORMATS
from licensing.domain.lifecycle import ACTIONS
from licensing.services import (
    audit_trail,
    verification,
)

MAX_NOTE_BYTES = 16_384  # a checkpoint with a hundred cosignatures is under 12 KB
audit_cli = AppGroup("audit", help="Verify and export the audit trail.")


@audit_cli.command("verify")
def verify_trail() -> None:
    """Walk the chain in the database and replay every licence's events against the register;
    exit 1 at the first event or licence that does not hold."""
    require_schema()
    result = verification.verify(current_app.config["LICENSING_POLICY"])
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
    require_schema()
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
    help="A checkpoint you kept: the JWS of /api/v1/audit/checkpoint (or a file holding it), or "
    "a file holding the signed note of /log/checkpoint; may repeat.",
)
@click.option(
    "--jwks", type=click.File("rb"), help="The registry's JWKS, to check JWS checkpoints."
)
@click.option(
    "--vkey",
    "vkeys",
    multiple=True,
    help="The log's verifier key, to check signed-note checkpoints (/api/v1/log `vkey` and its "
    "`retired_vkeys`); may repeat. Default: the registry's own, from its database.",
)
def verify_export(
    export_file: BinaryIO, kept: tuple[str, ...], jwks: BinaryIO | None, vkeys: tuple[str, ...]
) -> None:
    """Check an NDJSON export offline, with no database: every hash, every link, that it still
    reproduces each kept checkpoint, and for a signed-note checkpoint of the log that the Merkle
    tree of its first events has the checkpoint's root. Exit 0 only when all holds."""
    tokens, trees = [], []
    for given in kept:
        note = _note_text(given)
        if note is None:
            tokens.append(jws_text(given, "checkpoint", "--checkpoint"))
        else:
            trees.append(note)
    keys = None
    if tokens:
        if jwks is None:
            raise click.UsageError("checking a checkpoint needs the registry's keys: give --jwks")
        try:
            keys = json.load(jwks)
        except ValueError:
            raise click.BadParameter("not a JSON key set", param_hint="--jwks") from None
    log = log_keys(vkeys) if trees else None
    try:
        walk = verification.verify_export(export_file, tokens, keys, trees, log)
    except (checkpoints.CheckpointRefused, notes.NoteRefused) as error:
        click.echo(f"checkpoint refused: {error}", err=True)
        sys.exit(1)
    if walk.finding is None:
        head = f"seq {walk.head.seq} ({walk.head.hash})" if walk.head else "no events"
        reached = f"; reproduces {len(tokens)} checkpoint(s)" if tokens else ""
        if trees:
            reached += f"; reproduces the tree root of {len(trees)} log checkpoint(s)"
        click.echo(f"ok: {walk.events_checked} events hold; head {head}{reached}")
        return
    where = f"line {walk.finding.line}" if walk.finding.line else "end of file"
    click.echo(f"FAILED at {where} (seq {walk.finding.seq}): {walk.finding.problem}", err=True)
    sys.exit(1)


def _note_text(given: str) -> str | None:
    """The signed note in the file `given`, or None when it is no file or holds a JWS."""
    # a JWS has no blank line; a note always has one before its signatures
    return text_file(given, MAX_NOTE_BYTES, lambda text: "\n\n" in text.strip(),
                     "a checkpoint", "--checkpoint")  # fmt: skip


def _show_progress(*, to_stdout: bool) -> bool:
    # a bar only for a person watching: stderr is a terminal, and the data is not going there too
    return sys.stderr.isatty() and not (to_stdout and sys.stdout.isatty())


def _progress(total: int) -> Any:
    bar = click.progressbar(
        length=total, label="exporting", file=sys.stderr, show_pos=True, show_percent=True
    )
    bar.render_progress()
    return bar
