"""Operator commands (`flask --app licensing tokens|users|demo|audit|keys|statements|log|
reason-codes|deliveries ...`), one module per group; each calls a service."""

from __future__ import annotations

from flask import Flask

from licensing.cli.audit import audit_cli
from licensing.cli.deliveries import deliveries_cli
from licensing.cli.documents import open_data_cli
from licensing.cli.keys import keys_cli, statements_cli
from licensing.cli.log import log_cli
from licensing.cli.people import tokens_cli, users_cli
from licensing.cli.register import demo_command, reason_codes_command

# db backup joins Flask-Migrate's `db` group when licensing.cli.register is imported


def init_app(app: Flask) -> None:
    app.cli.add_command(tokens_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(statements_cli)
    app.cli.add_command(log_cli)
    app.cli.add_command(deliveries_cli)
    app.cli.add_command(reason_codes_command)
    app.cli.add_command(open_data_cli)
