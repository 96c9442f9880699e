"""The REST API: flask-smorest blueprints, OpenAPI from the same schemas, problem+json errors."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from licensing.api import docs, health, problems, prometheus
from licensing.api.audit.routes import blp as audit_blp
from licensing.api.changes.routes import blp as changes_blp
from licensing.api.documents.routes import blp as documents_blp
from licensing.api.keys.routes import blp as keys_blp
from licensing.api.licences.routes import blp as licences_blp
from licensing.api.log.routes import blp as log_blp
from licensing.api.log.routes import tiles as tiles_blp
from licensing.api.openapi import ProblemsPlugin
from licensing.api.proposals.routes import blp as proposals_blp
from licensing.api.reasons.routes import blp as reasons_blp
from licensing.api.schemas import ProblemSchema
from licensing.api.statistics.routes import blp as statistics_blp
from licensing.api.status.routes import blp as status_blp
from licensing.api.subscriptions.routes import blp as subscriptions_blp

PREFIX = "/api/v1"


class RegistryApi(Api):
    """flask-smorest's Api, answering every HTTP error as RFC 9457 problem+json."""

    ERROR_SCHEMA = ProblemSchema
    # each operation lists the errors it can give (see openapi.py), so no catch-all hides one
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return problems.from_http_exception(error)


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="licensing: registry of digital-mining licences",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
    api = RegistryApi(app, spec_kwargs={"extra_plugins": [ProblemsPlugin(app)]})
    blueprints = (
        (health.blp, None),
        (licences_blp, f"{PREFIX}/licences"),
        (proposals_blp, f"{PREFIX}/proposals"),
        (status_blp, f"{PREFIX}/status"),
        (documents_blp, f"{PREFIX}/status"),
        (reasons_blp, f"{PREFIX}/reason-codes"),
        (statistics_blp, f"{PREFIX}/statistics"),
        (audit_blp, f"{PREFIX}/audit"),
        (keys_blp, "/.well-known"),
        (log_blp, f"{PREFIX}/log"),
        (tiles_blp, "/log"),
        (changes_blp, f"{PREFIX}/changes"),
        (subscriptions_blp, f"{PREFIX}/subscriptions"),
    )
    for blueprint, prefix in blueprints:
        api.register_blueprint(blueprint, url_prefix=prefix)
    # /metrics and security.txt are for tools, as the API is: they answer OPTIONS as it does
    _answer_options(
        app,
        {blueprint.name for blueprint, _ in blueprints} | {"api-docs", "metrics"},
        {"public.security_contact"},
    )
    app.register_blueprint(docs.blp)
    prometheus.init_app(app)


def _answer_options(app: Flask, blueprints: set[str], endpoints: set[str]) -> None:
    """OPTIONS on an API route (one of `blueprints`, or one of `endpoints` elsewhere): 204 and
    the methods it takes in `Allow`, with no body (Flask's own answer is an empty text/html 200).
    No CORS headers: a browser on another site gets none."""

    @app.before_request
    def _options() -> Response | None:
        if request.method != "OPTIONS":
            return None
        if request.blueprint not in blueprints and request.endpoint not in endpoints:
            return None
        response = app.make_default_options_response()
        response.status_code = 204
        response.set_data(b"")
        del response.headers["Content-Type"]
        return response
