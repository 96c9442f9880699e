"""What every HTML page shares: its security policy, its language headers and its error pages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException

from licensing.web.i18n import current_locale
from licensing.web.i18n import gettext as _

# Pages load only the registry's own stylesheet and images: no script at all, nothing inline
# (inline SVG is markup, not script or style), no framing, forms post only back to us.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

# Paths whose errors are the REST API's (problem+json), even when no route matched.
API_PATHS = ("/api/", "/.well-known/", "/log/")
API_EXACT = ("/api", "/openapi.json", "/healthz", "/readyz")


MAX_NEXT = 2000  # characters of a `next` that are followed; a longer one goes to the default
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def next_path(target: str | None, default: str, within: str = "/") -> str:
    """Where to go after a step (a language switch, a sign-in): `target` when it is a path on this
    site under `within`, otherwise `default`, so never an open redirect. A control character is
    refused with a 400 page: no link of ours holds one, and in `Location` it would end the header
    and begin another."""
    if not target:
        return default
    if _CONTROL.search(target):
        abort(400, description="The address to go back to contains a control character.")
    parts = urlsplit(target)
    inside = within == "/" or target == within or target.startswith((within + "/", within + "?"))
    if (
        len(target) > MAX_NEXT
        or parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target  # browsers read a backslash as a slash: /\\host is another site
        or not inside
    ):
        return default
    return target


def serve_pages(blueprint: Blueprint) -> None:
    """Give `blueprint`'s answers the page headers."""
    blueprint.after_request(page_headers)


def page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def wants_page() -> bool:
    """Whether this request's error is answered with a page: any path outside the API's."""
    path = request.path
    if path in API_EXACT or path.startswith(API_PATHS):
        return False
    blueprint = request.blueprint
    if blueprint is None:
        return True
    return blueprint in current_app.extensions["licensing.page_blueprints"]


TITLES = {
    400: lambda: _("The request could not be read"),
    401: lambda: _("Sign in first"),
    403: lambda: _("Your account may not do this"),
    404: lambda: _("Page not found"),
    405: lambda: _("This page cannot be used that way"),
    413: lambda: _("What you sent is too large"),
    429: lambda: _("Too many requests"),
    500: lambda: _("Something went wrong on our side"),
    503: lambda: _("The register is briefly unavailable"),
}

EXPLANATIONS = {
    400: lambda: _("Go back, check what you entered and try again."),
    401: lambda: _("Your session has ended or you have not signed in. Sign in and try again."),
    403: lambda: _("This page or action is for another role. Nothing was changed."),
    404: lambda: _(
        "There is no page or licence at this address. Check the licence number: it looks like "
        "DM-2025-000123."
    ),
    405: lambda: _("Go back to the previous page and use its links and buttons."),
    413: lambda: _("Send a smaller file: a status statement is a few kilobytes at most."),
    429: lambda: _(
        "Too many requests came from your address in a short time. Wait a minute, then try again."
    ),
    500: lambda: _(
        "The register could not answer this request. The failure was recorded; please try again "
        "later."
    ),
    503: lambda: _("The register cannot reach its records at the moment. Try again in a minute."),
}


def error_page(status: int, headers: dict[str, str] | None = None) -> Response:
    """The friendly page for an HTTP error `status`, in the reader's language."""
    shown = status if status in TITLES else (500 if status >= 500 else 400)
    html = render_template(
        "errors/error.html",
        status=status,
        title=TITLES[shown](),
        explanation=EXPLANATIONS[shown](),
        request_id=g.get("request_id"),
    )
    response = current_app.response_class(html, status=status, mimetype="text/html")
    response.headers.update(headers or {})
    return page_headers(response)


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        current_app.logger.error("answered %s to %s %s", status, request.method, request.path)
    headers = {}
    if status == 405 and (allowed := getattr(error, "valid_methods", None)):
        headers["Allow"] = ", ".join(allowed)
    return error_page(status, headers)


def locale_code() -> str:
    return str(current_locale() or "")
