"""The interactive API docs at /docs: our own page on Swagger UI, served from the installed
package so it works on a closed network, with nothing else from the bundle exposed."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

HERE = Path(__file__).parent

# The only files the page loads, and where each lives; the bundle's stock index.html (which
# loads the petstore spec), source maps and other builds stay unserved.
ASSETS = {
    "swagger-ui.css": swagger_ui_path,
    "swagger-ui-bundle.js": swagger_ui_path,
    "docs.js": str(HERE / "static"),
}

# No inline script: the initializer is docs.js. Swagger UI fetches the spec and sends "try it
# out" requests to this origin only, and draws a few icons from data: URLs.
POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

blp = Blueprint("docs", __name__, url_prefix="/docs", template_folder="templates")


@blp.get("")
def page() -> Response:
    html = render_template("docs.html", title=current_app.config["API_TITLE"])
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": POLICY})


@blp.get("/assets/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return send_from_directory(ASSETS[name], name, max_age=86400)
