"""The one place that builds error responses: RFC 9457 `application/problem+json`."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, g, json, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from licensing.domain.errors import (
    ActionNotAllowed,
    IdempotencyKeyReused,
    InvalidFields,
    LicenceNotFound,
    VersionMismatch,
)
from licensing.services.failures import (
    ConcurrentChange,
    DatabaseBusy,
    DatabaseUnavailable,
    OutcomeUnknown,
)
from licensing.services.transparency import LogRewound

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:licensing:problem:"
MAX_FIELDS = 20  # a 422 names at most this many fields, however many a body got wrong
MAX_NAME = 64  # and shows at most this much of a field's name

# What a client is told for a plain HTTP error, when nothing more specific applies.
DETAILS = {
    400: "The request could not be read.",
    401: "This needs a token: send `Authorization: Bearer <token>`.",
    403: "This token's role may not do this.",
    404: "Nothing is here.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    415: "Send the body as JSON, with `Content-Type: application/json`.",
    422: "Some fields are not valid.",
    428: "This change needs `If-Match` with the licence's current ETag.",
    429: "Too many requests from this address; wait and retry.",
    500: "The registry failed to answer. The failure was logged with this request's id.",
}


def problem(
    status: int,
    detail: str | None = None,
    *,
    kind: str | None = None,
    title: str | None = None,
    errors: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or DETAILS.get(status) or HTTPStatus(status).description,
        "instance": request.path,
        "request_id": g.get("request_id"),
    }
    if errors:
        body["errors"] = _bounded(errors)
        if (omitted := len(errors) - len(body["errors"])) > 0:
            body["detail"] += f" {omitted} more fields are not valid and not listed here."
    body.update(extra)
    response = current_app.response_class(
        json.dumps(body, separators=(",", ":")) + "\n", status=status, mimetype=MEDIA_TYPE
    )
    response.headers.update(headers or {})
    return response


def _bounded(errors: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name, messages in errors.items():
        if len(shown) == MAX_FIELDS:
            break
        shown[name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"] = messages
    return shown


def from_http_exception(error: HTTPException) -> Response:
    """Werkzeug's and webargs' errors, and anything unhandled (as a 500), as problems."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 500:
        # Flask has already logged the traceback (with the request id, see observability.py)
        current_app.logger.error("answered 500 to %s %s", request.method, request.path)
        return problem(500, headers=headers)
    errors = field_errors(data.get("messages") or data.get("errors"))
    # a description given where the error was raised says more than the class's stock one
    told = error.description if error.description != type(error).description else None
    detail = data.get("message") or told
    return problem(status, detail, errors=errors, headers=headers)


def field_errors(messages: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """webargs groups errors by location ({"json": {"field": [...]}}); clients want fields, and a
    nested object's fields by their dotted path (`decision.date`)."""
    if not messages:
        return None
    flat: dict[str, Any] = {}
    for location, errors in messages.items():
        if isinstance(errors, Mapping):
            for field, field_messages in errors.items():
                _flatten(flat, "body" if field == "_schema" else str(field), field_messages)
        else:
            flat["body" if location == "json" else location] = errors
    return flat


def _flatten(flat: dict[str, Any], name: str, messages: Any) -> None:
    if not isinstance(messages, Mapping):
        flat[name] = messages
        return
    for field, inner in messages.items():
        _flatten(flat, name if field == "_schema" else f"{name}.{field}", inner)


def handle_errors_of(blueprint: Blueprint) -> None:
    """Answer each domain and service error raised in `blueprint`'s routes with its problem. (Per
    blueprint: the web pages answer the same errors with pages of their own.)"""
    app = blueprint  # the decorators below read as they would on an app

    @app.errorhandler(InvalidFields)
    def _invalid(error: InvalidFields) -> Response:
        return problem(422, errors=error.errors)

    @app.errorhandler(ActionNotAllowed)
    def _not_allowed(error: ActionNotAllowed) -> Response:
        return problem(
            409,
            f"A licence that is {error.current_status} cannot take the action {error.action!r}.",
            kind="action-not-allowed",
            title="Action not allowed in the current status",
            current_status=error.current_status,
            allowed_actions=error.allowed_actions,
        )

    @app.errorhandler(LicenceNotFound)
    def _not_found(error: LicenceNotFound) -> Response:
        return problem(404, f"No licence is numbered {error.number!r}.", kind="licence-not-found")

    @app.errorhandler(VersionMismatch)
    def _stale(error: VersionMismatch) -> Response:
        return problem(
            412,
            "The licence changed since you read it; read it again and retry with its new ETag.",
            kind="stale-version",
            current_version=error.current_version,
            headers={"ETag": f'"{error.current_version}"'},
        )

    @app.errorhandler(IdempotencyKeyReused)
    def _key_reused(error: IdempotencyKeyReused) -> Response:
        return problem(
            422,
            "This Idempotency-Key was already used with a different request.",
            kind="idempotency-key-reused",
            errors={"Idempotency-Key": ["Already used with a different request body or target."]},
        )

    @app.errorhandler(ConcurrentChange)
    def _race(error: ConcurrentChange) -> Response:
        return problem(
            409,
            "Another change to the same licence won the race; nothing was written. Retry.",
            kind="concurrent-change",
        )

    @app.errorhandler(DatabaseBusy)
    def _busy(error: DatabaseBusy) -> Response:
        return problem(
            503,
            "The registry is busy; nothing was written. Retry shortly.",
            kind="busy",
            headers={"Retry-After": "1"},
        )

    @app.errorhandler(LogRewound)
    def _rewound(error: LogRewound) -> Response:
        current_app.logger.critical("refusing to sign a checkpoint: %s", error)
        return problem(
            503,
            "The registry's log is behind a tree it already published (restored from an older "
            "backup?); it signs nothing until the operator recovers the missing events.",
            kind="log-rewound",
            headers={"Retry-After": "3600"},
        )

    @app.errorhandler(OutcomeUnknown)
    def _outcome_unknown(error: OutcomeUnknown) -> Response:
        current_app.logger.warning("database lost at commit: %s", str(error).splitlines()[0])
        return problem(
            503,
            "The registry's database was lost while this change was being committed: it may "
            "have been recorded. Repeat the request with the same Idempotency-Key to learn which "
            "(the first answer if it was; the change made once if it was not).",
            kind="outcome-unknown",
            headers={"Retry-After": "5"},
        )

    @app.errorhandler(DatabaseUnavailable)
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(SQLAlchemyTimeout)
    def _unavailable(error: Exception) -> Response:
        # reads meet a lost database here directly; writes as DatabaseUnavailable
        current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
        return problem(
            503,
            "The registry's database cannot be reached; nothing was written. Retry shortly.",
            kind="unavailable",
            headers={"Retry-After": "5"},
        )
