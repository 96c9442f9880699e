"""The console under /console: licensing officers and auditors, signed in with their own accounts,
working through the same use cases as the API."""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the console; call from the web layer, which owns the pages' shared parts."""
    from licensing.web.console import (
        proposals,  # noqa: F401 (its routes join the blueprint)
        subscriptions,  # noqa: F401 (its routes join the console's)
    )
    from licensing.web.console.routes import blp
    from licensing.web.console.rows import event_rows, licence_rows

    app.register_blueprint(blp)
    app.extensions["licensing.page_blueprints"].add(blp.name)
    app.jinja_env.filters["pair"] = _pair
    app.jinja_env.globals.update(licence_rows=licence_rows, event_rows=event_rows)


def _pair(code: str, table: dict[str, Any]) -> tuple[str, str]:
    """An option for a select: the code, and its words in the reader's language."""
    from licensing.web.labels import word

    return code, word(table, code)
