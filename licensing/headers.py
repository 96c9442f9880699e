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


def init_app(app: Flask) -> None:
    app.after_request(secure)


def secure(response: Response) -> Response:
    """Add the security headers to `response`."""
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    if "Authorization" in request.headers:
        # whatever the route or status said: a shared cache must never keep what a token saw
        response.headers["Cache-Control"] = "no-store"
    return response
