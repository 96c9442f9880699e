"""The delivery process (`deliveries run`): webhook deliveries of the changes, signed, in order per
subscription."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.cli.arguments import require_schema
from licensing.services import deliveries

deliveries_cli = AppGroup("deliveries", help="Webhook deliveries of the register's changes.")


@deliveries_cli.command("run")
@click.option("--once", is_flag=True, help="One round (a batch per due subscription), then stop.")
def run(once: bool) -> None:
    """Deliver each subscription's changes after its cursor, retrying on the schedule
    LICENSING_WEBHOOKS_RETRY_SCHEDULE sets. Runs until stopped (SIGTERM or Ctrl-C); on
    PostgreSQL several may run at once, on SQLite run one."""
    require_schema()
    settings = current_app.config["LICENSING_WEBHOOKS"]
    box = deliveries.secret_box(current_app)
    if once:
        claims = deliveries.Claims()
        try:
            outcomes = deliveries.deliver_round(box, settings, claims)
        finally:
            claims.close()
        _report(outcomes)
        if any(o.failed for o in outcomes):
            raise SystemExit(1)
        return
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo("delivering changes to subscriptions", err=True)
    deliveries.run(box, settings, stop, on_round=_report)
    click.echo("stopped", err=True)


def _report(outcomes: list[deliveries.Outcome]) -> None:
    for outcome in outcomes:
        if outcome.delivered or outcome.failed:
            detail = f": {outcome.detail}" if outcome.detail else ""
            click.echo(
                f"{outcome.subscription}: {outcome.delivered} delivered, "
                f"{outcome.failed} failed{detail}",
                err=True,
            )
