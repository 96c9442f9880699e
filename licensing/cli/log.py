"""The transparency log's processes and checks (`log witness-loop|monitor`)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.cli.arguments import require_schema
from licensing.domain import notes
from licensing.services import monitor, witnessing

log_cli = AppGroup("log", help="The transparency log: witnessing it, and monitoring it.")


@log_cli.command("witness-loop")
@click.option("--once", is_flag=True, help="Submit to every witness once, then stop.")
def witness_loop(once: bool) -> None:
    """Submit the log's checkpoints to the witnesses LICENSING_LOG_WITNESSES names, at most one
    submission to each every LICENSING_LOG_WITNESS_INTERVAL seconds, and keep their
    cosignatures. Runs until stopped (SIGTERM or Ctrl-C); a witness that is down delays only its
    own cosignature."""
    require_schema()
    settings = current_app.config["LICENSING_LOG"]
    if not settings.witnesses:
        raise click.ClickException("no witnesses are configured (LICENSING_LOG_WITNESSES)")
    signer = current_app.extensions["licensing.signer"]
    if once:
        outcomes = witnessing.submit_all(signer, settings, force=True)
        for outcome in outcomes:
            click.echo(_line(outcome))
        if any(o.result == "failed" for o in outcomes):
            raise SystemExit(1)
        return
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    names = ", ".join(w.name for w in settings.witnesses)
    click.echo(f"witnessing {settings.origin} with {names}", err=True)
    witnessing.run(signer, settings, stop, on_round=lambda outcomes: _report(outcomes))
    click.echo("stopped", err=True)


def _report(outcomes: list[witnessing.Outcome]) -> None:
    for outcome in outcomes:
        if outcome.result not in ("not due", "up to date"):
            click.echo(_line(outcome), err=True)


def _line(outcome: witnessing.Outcome) -> str:
    detail = f": {outcome.detail}" if outcome.detail else ""
    return f"{outcome.witness}: {outcome.result} at size {outcome.size}{detail}"


# One exit code per kind of failure, so cron (or whatever runs the monitor) can tell them apart;
# 2 is click's, for a command line it cannot use.
EXIT_CODES: dict[type[monitor.MonitorFailure], int] = {
    monitor.StateUnusable: 1,
    monitor.Forked: 3,
    monitor.Shrunk: 4,
    monitor.KeyRefused: 5,
    monitor.LogMalformed: 6,
    monitor.Unreachable: 7,
    monitor.ExportRefused: 8,
}


@log_cli.command("monitor")
@click.argument("url")
@click.option(
    "--state",
    "state",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file keeping the last checkpoint and the trusted keys (made on the first run).",
)
@click.option(
    "--vkey",
    "vkeys",
    multiple=True,
    help="The log's verifier key (C2SP vkey); may repeat. Default: the keys kept in --state.",
)
@click.option(
    "--export",
    type=click.File("rb"),
    help="An NDJSON export of the trail: the new entries must be its events' hashes.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=300),
    default=monitor.TIMEOUT,
    show_default=True,
    help="Seconds to wait on each request.",
)
def monitor_log(
    url: str, state: Path, vkeys: tuple[str, ...], export: BinaryIO | None, timeout: float
) -> None:
    """Follow the transparency log of the registry at URL (its base, e.g. https://host): check
    its signed checkpoint, prove from its tiles that it extends the one kept in --state, check
    every new entry, and keep the new checkpoint only when all of that held. Run from cron.

    A first run without --vkey trusts the key the log names at URL/api/v1/log and keeps it;
    later runs trust only the kept keys (or those given with --vkey).

    \b
    Exit codes:
      0  the log is consistent with the checkpoint kept; the new one is kept
      1  the state file cannot be read or written
      2  the command line is wrong
      3  FORK: the log's tree does not extend the one kept (same size, another root; or grown
         without the kept tree in it)
      4  the log shrank: a smaller tree than the one kept
      5  bad signature, or a key not trusted (the log's key changed?)
      6  malformed checkpoint, tiles or entries
      7  the log is unreachable: refused, timed out, HTTP 5xx or 429 (retry later)
      8  the export does not hold, or its events are not the log's entries
    """
    try:
        monitor.log_url(url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="URL") from None
    for vkey in vkeys:
        try:
            monitor.log_verifier(vkey)
        except notes.NoteRefused as refused:
            raise click.BadParameter(str(refused), param_hint="--vkey") from None
    try:
        followed = monitor.follow(url, state, vkeys, export, timeout)
    except monitor.MonitorFailure as failure:
        click.echo(f"FAILED: {failure}", err=True)
        sys.exit(EXIT_CODES[type(failure)])
    if followed.trusted_on_first_use:
        click.echo(
            "WARNING: first run: trusting the log's key as the log itself gives it, "
            f"{followed.trusted_on_first_use}; check it out of band (later runs trust only it)",
            err=True,
        )
    old = "none kept" if followed.old_size is None else str(followed.old_size)
    exported = f", {followed.export_checked} matched to the export" if export else ""
    click.echo(
        f"ok: {old} -> {followed.new_size}; {followed.entries_checked} new entries checked"
        f"{exported}; checkpoint kept in {state}"
    )
