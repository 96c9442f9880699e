"""Checks every request passes before any route sees it."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, abort, current_app, request
from flask.globals import request_ctx
from werkzeug.exceptions import BadHost, SecurityError

from licensing.http import addresses

UNTRUSTED_HOST = "This registry does not answer for the host this request names."

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def plain_host(wsgi_app: WSGIApp) -> WSGIApp:
    """`wsgi_app` seeing the request's Host as its plain name: host names are case-insensitive
    (RFC 4343) and `example.kz.` is the fully qualified `example.kz`, but Werkzeug takes only
    lower-case letters and compares the trusted hosts letter for letter, so `EXAMPLE.kz` or
    `example.kz.` would be refused as another host. Wrapped inside any ProxyFix, so that a
    forwarded Host is made plain too."""

    def plain(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if host := environ.get("HTTP_HOST"):
            environ["HTTP_HOST"] = plain_host_name(host)
        return wsgi_app(environ, start_response)

    return plain


def plain_host_name(host: str) -> str:
    """`host` (a name or address, with any port) in lower case, without the root's final dot. Only
    ASCII letters change case (RFC 4343); an address in brackets keeps its colons."""
    if not host.isascii():
        return host  # no host name; Werkzeug refuses it as it is
    host = host.lower()
    if host.startswith("["):
        return host
    name, colon, port = host.partition(":")
    if len(name) > 1 and name.endswith(".") and not name.endswith(".."):
        name = name[:-1]
    return name + colon + port


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_untrusted_host() -> None:
        # Flask refuses a Host outside TRUSTED_HOSTS (SecurityError), and Werkzeug one that is no
        # host name at all (BadHost: `a..b`, a label over 63 letters), before routing, leaving
        # nothing to build a link with; the error page links to the registry's own paths, bound
        # to its base URL
        if isinstance(request.routing_exception, SecurityError | BadHost):
            request_ctx.url_adapter = addresses.adapter(current_app, request.script_root or "/")
            abort(400, description=UNTRUSTED_HOST)

    @app.before_request
    def _refuse_nul() -> None:
        # no database stores a NUL in text: refuse it here rather than fail there
        if "\x00" in request.path or "%00" in request.query_string.decode("latin-1"):
            abort(400, description="The address contains a NUL character.")

    @app.before_request
    def _bound_chunked_bodies() -> None:
        # A body sent without Content-Length (chunked) is cut at MAX_CONTENT_LENGTH by Werkzeug
        # and read as if it ended there; read one byte past the limit ourselves so that an
        # oversized body is a 413, whatever its framing.
        environ = request.environ
        if request.content_length is not None or not environ.get("wsgi.input_terminated"):
            return
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            abort(413)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
