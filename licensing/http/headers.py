"""Security headers every answer carries: no sniffing, no referrer, no framing, no caching of
answers to authenticated requests."""

from __future__ import annotations

from flask import Flask, Response, request

# Enough for JSON, CSV and JOSE answers, which load nothing; a page that loads scripts or styles
# sets its own policy, and keeps it.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# Each with its lowercase name, worked out once: this runs on every answer.
_DEFAULTS = tuple(
    (name.lower(), name, value)
    for name, value in {**ALWAYS, "Content-Security-Policy": DEFAULT_CSP}.items()
)


def init_app(app: Flask) -> None:
    app.after_request(secure)


def secure(response: Response) -> Response:
    """Add the security headers to `response`, where the route did not set its own."""
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    for lowered, name, value in _DEFAULTS:
        if lowered not in present:
            headers.add(name, value)
    if "HTTP_AUTHORIZATION" in request.environ:
        # whatever the route or status said: a shared cache must never keep what a token saw
        headers["Cache-Control"] = "no-store"
    return response
