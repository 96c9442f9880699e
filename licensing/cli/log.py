"""The transparency log's processes and checks (`log witness-loop|monitor`)."""

from __future__ import annotations

from flask.cli import AppGroup

log_cli = AppGroup("log", help="The transparency log: witnessing it, and monitoring it.")
