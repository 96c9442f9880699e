"""The OpenAPI document's error responses and links, derived from what each operation takes."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from http import HTTPStatus
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask
from werkzeug.routing import Rule

from licensing.api.caller import KEY_PATTERN
from licensing.api.problems import DETAILS, MEDIA_TYPE
from licensing.api.schemas import ProblemSchema, ValidationProblemSchema
from licensing.domain.jws import MEDIA_TYPE as JOSE
from licensing.domain.lifecycle import STATUS_ACTIONS
from licensing.http.ratelimit import is_public_limited

PROBLEM, VALIDATION_PROBLEM = "Problem", "ValidationProblem"
COMPACT_JWS = {
    "type": "string",
    "description": "A compact JWS (RFC 7515): header, payload and signature, base64url, joined by"
    " dots",
    "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
}

# What every operation may answer, whatever it takes: the database busy or unreachable (503,
# nothing written), and a failure of our own (500).
ALWAYS = (500, 503)
# What the HTTP server in front (gunicorn) answers itself, before the registry sees the request.
URI_TOO_LONG = {
    "description": "The request line is longer than the HTTP server takes (gunicorn: 4094 bytes);"
    " that server answers, in HTML.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A repeat with the same key and body returns the first answer and changes "
    "nothing; the same key with another body is refused (422).",
    "schema": {"type": "string", "pattern": f"^{KEY_PATTERN.pattern}$"},
}
# Why a status is possible, when the route did not say it itself.
REASONS = {
    **DETAILS,
    400: "The body is not JSON, is empty, or a query parameter is malformed.",
    404: "No licence has this number, or this token may not see it.",
    409: "The change conflicts with the licence's current state.",
    412: "`If-Match` does not name the licence's current version.",
    503: "The database is busy or cannot be reached; nothing was written. Retry.",
}

NOTHING_AT_PATH = "Nothing has this id, or this token may not see it."

# Operations on a licence just issued, reached from the issuing operation's 201 by its number.
NEW_LICENCE_LINKS = {
    "get_licences_licence": "Read the new licence",
    "patch_licences_licence": "Amend the new licence",
    **{
        f"post_licences_{action}": f"{action.capitalize()} the new licence"
        for action in STATUS_ACTIONS
    },
    "get_licences_history": "The new licence's history",
    "get_status_status": "The new licence's public status",
}
LINKS = {("post_licences_licences", 201): NEW_LICENCE_LINKS}
# Operations whose links must also carry the licence's ETag (they honour `If-Match`).
_VERSIONED = {"patch_licences_licence", *(f"post_licences_{action}" for action in STATUS_ACTIONS)}


class ProblemsPlugin(BasePlugin):
    """Completes each operation: an id, every error status it can give as problem+json, the
    conditional headers it honours, and links from what it creates."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        spec.components.schema(PROBLEM, schema=ProblemSchema)
        spec.components.schema(VALIDATION_PROBLEM, schema=ValidationProblemSchema)

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        *,
        rule: Rule | None = None,
        **kwargs: Any,
    ) -> None:
        if rule is None or not operations:
            return
        blueprint, view = rule.endpoint.split(".", 1)
        limited = is_public_limited(blueprint, self.app.view_functions[rule.endpoint])
        for method, operation in operations.items():
            operation_id = f"{method}_{blueprint}_{view}".lower()
            operation.setdefault("operationId", operation_id)
            # flask-smorest documents a catch-all "default" error; we list every status instead
            operation.get("responses", {}).pop("default", None)
            responses = _by_status(operation.get("responses", {}))
            for status in _possible_statuses(operation, rule, limited) | set(responses):
                if status >= 400:
                    given = responses.get(status)
                    if status == 404 and given is None and "number" not in rule.arguments:
                        given = {"description": NOTHING_AT_PATH}
                    responses[status] = _problem_response(status, given)
            responses[414] = URI_TOO_LONG
            for (source, status), targets in LINKS.items():
                if source == operation_id:
                    responses[status]["links"] = _links(targets)
            for response in responses.values():
                _describe_jose(response)
            _declare_conditional_headers(operation, responses)
            if method == "post" and "requestBody" in operation:
                # every write reads it (api/context.py): a repeat answers the first result
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            operation["responses"] = {str(s): responses[s] for s in sorted(responses)}


def _by_status(given: Mapping[Any, Any]) -> dict[int, Any]:
    """The operation's responses by status. flask-smorest keys a route's `@response` by number and
    a `@doc`'s by text, so one status can come twice (200 and "200"): merged here, the doc's
    media types beside the route's, rather than one silently replacing the other (which lost the
    description OpenAPI requires)."""
    responses: dict[int, Any] = {}
    for status, response in given.items():
        code, known = int(status), responses.get(int(status))
        if isinstance(known, Mapping) and isinstance(response, Mapping):
            content = {**known.get("content", {}), **response.get("content", {})}
            response = {**known, **response}
            if content:
                response["content"] = content
        responses[code] = response
    return responses


def _describe_jose(response: Any) -> None:
    """A compact JWS answer (`application/jose`) as what it is: one line of text in three
    base64url parts. A generator that knows no such media type can be told to read it as text
    (openapi-python-client: `content_type_overrides`)."""
    if isinstance(response, MutableMapping) and JOSE in response.get("content", {}):
        response["content"][JOSE] = {"schema": COMPACT_JWS}


def _possible_statuses(operation: Mapping[str, Any], rule: Rule, limited: bool) -> set[int]:
    statuses = set(ALWAYS)
    if operation.get("security"):
        statuses |= {401, 403}
    if rule.arguments:  # a path that names something: nothing may have that name
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413, 415, 422}
    if any(p.get("in") == "query" for p in operation.get("parameters", ())):
        statuses |= {400, 422}
    if limited:
        statuses.add(429)
    return statuses


def _problem_response(status: int, given: Any) -> dict[str, Any]:
    """The route's own description if it gave one; always problem+json with the problem schema."""
    description = given.get("description") if isinstance(given, Mapping) else None
    schema = VALIDATION_PROBLEM if status == 422 else PROBLEM
    response: dict[str, Any] = {
        "description": description or REASONS.get(status) or HTTPStatus(status).phrase,
        "content": {MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    if isinstance(given, Mapping) and given.get("headers"):
        response["headers"] = given["headers"]
    if status == 429 or status == 503:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "string"}}
        }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "The scheme: Bearer", "schema": {"type": "string"}}
        }
    return response


def _declare_conditional_headers(
    operation: MutableMapping[str, Any], responses: Mapping[int, Any]
) -> None:
    """`If-Match` where a stale version is refused (required where its absence is a 428), and
    `If-None-Match` where a current copy is answered 304."""
    parameters = operation.setdefault("parameters", [])
    if 412 in responses:
        parameters.append(_header("If-Match", 'The licence\'s ETag, e.g. "3"', 428 in responses))
    if 304 in responses:
        parameters.append(_header("If-None-Match", "An ETag the client holds", False))


def _header(name: str, description: str, required: bool) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "description": description,
        "required": required,
        "schema": {"type": "string"},
    }


def _links(targets: Mapping[str, str]) -> dict[str, Any]:
    links = {}
    for operation_id, description in targets.items():
        parameters = {"number": "$response.body#/number"}
        if operation_id in _VERSIONED:
            parameters["header.If-Match"] = "$response.header.ETag"
        links[operation_id] = {
            "operationId": operation_id,
            "parameters": parameters,
            "description": description,
        }
    return links
