"""Checks every request passes before any route sees it."""

from __future__ import annotations

from flask import Flask, abort, request


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        # no database stores a NUL in text: refuse it here rather than fail there
        if "\x00" in request.path or "%00" in request.query_string.decode("latin-1"):
            abort(400, description="The address contains a NUL character.")
