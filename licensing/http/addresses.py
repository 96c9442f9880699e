"""The registry's own absolute addresses, built from LICENSING_BASE_URL and never from a request's
`Host` (which whoever sends the request chooses): QR codes, set-up links, security.txt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from werkzeug.routing import MapAdapter


def absolute_url(endpoint: str, **values: Any) -> str:
    """The address people reach `endpoint` at: the base URL, then the route's path in the app.
    Works in a request or outside one (a command)."""
    current_app.inject_url_defaults(endpoint, values)
    path = adapter(current_app, script_name="/").build(endpoint, values)
    return current_app.config["LICENSING_BASE_URL"] + path


def absolute_urls(endpoint: str) -> Callable[..., str]:
    """absolute_url for many addresses of one endpoint (a feed's entries): the routes bound
    once."""
    bound = adapter(current_app, script_name="/")
    base = current_app.config["LICENSING_BASE_URL"]

    def build(**values: Any) -> str:
        current_app.inject_url_defaults(endpoint, values)
        return base + bound.build(endpoint, values)

    return build


def adapter(app: Flask, script_name: str) -> MapAdapter:
    """The app's routes bound to the base URL's host, paths beginning with `script_name`."""
    base = urlsplit(app.config["LICENSING_BASE_URL"])
    return app.url_map.bind(base.netloc, script_name=script_name, url_scheme=base.scheme)


def warn_when_unset(app: Flask) -> None:
    """Say when a server starts, outside development and tests, that absolute addresses are the
    default's. Not for a command (`flask --app licensing ...`, which runs inside click): its
    standard error is for its own messages, and scripts read it."""
    if app.config["LICENSING_BASE_URL_GIVEN"] or app.debug or app.testing:
        return
    if click.get_current_context(silent=True) is None:
        app.logger.warning(
            "LICENSING_BASE_URL is not set: QR codes, set-up links and security.txt name %s;"
            " set it to the address people reach the registry at",
            app.config["LICENSING_BASE_URL"],
        )
