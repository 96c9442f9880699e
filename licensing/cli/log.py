"""The transparency log's processes and checks (`log witness-loop|monitor`)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.cli.arguments import require_schema
from licensing.services import witnessing

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
