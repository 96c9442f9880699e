"""Request ids, logs and request metrics: every response carries `X-Request-ID`, every log line
names it, and every answer is counted and timed by route and status.

The id is always the registry's own, made here: it is what the audit trail records, so no client
can put its words into the hash chain. A client's (or proxy's) own `X-Request-ID`, when it is a
sensible token, is echoed back as `X-Client-Request-ID` and logged beside ours, so one request can
still be followed across systems."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

from licensing import metrics

HEADER = "X-Request-ID"
CLIENT_HEADER = "X-Client-Request-ID"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        inside = has_request_context()
        record.request_id = g.get("request_id", "-") if inside else "-"
        record.client_request_id = g.get("client_request_id") or "-" if inside else "-"
        return True


_FILTER = _RequestIdFilter()
REQUEST_LOGGER = "licensing.requests"
# What a request line may carry: ids, the route's rule (never the raw path or query, which may
# hold anything a client typed), status, duration and role. Never headers, tokens or bodies.
_REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "role")
# what a record about sign-in locks carries (services/accounts.py): what happened, to what
_EVENT_FIELDS = ("event", "scope", "account", "address")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "client_request_id": getattr(record, "client_request_id", "-"),
        }
        line.update({k: getattr(record, k) for k in _REQUEST_FIELDS if hasattr(record, k)})
        line.update({k: getattr(record, k) for k in _EVENT_FIELDS if hasattr(record, k)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def init_app(app: Flask) -> None:
    # on the logger, so every record of the app carries the id; on the handler, for records that
    # reach it from child loggers
    for target in (app.logger, default_handler):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    as_json = app.config["LICENSING_LOG_FORMAT"] == "json"
    default_handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter(
            "[%(asctime)s] %(levelname)s request=%(request_id)s"
            " client_request=%(client_request_id)s %(name)s: %(message)s"
        )
    )
    app.logger.setLevel(app.config["LICENSING_LOG_LEVEL"])
    # the request lines go through the app's handler, at INFO, only when JSON is asked for (in
    # text mode gunicorn's access log says the same)
    requests_log = logging.getLogger(REQUEST_LOGGER)
    requests_log.propagate = False
    if default_handler not in requests_log.handlers:
        requests_log.addHandler(default_handler)
    if _FILTER not in requests_log.filters:
        requests_log.addFilter(_FILTER)
    requests_log.setLevel(logging.INFO if as_json else logging.WARNING)

    # These run on every request: `g` and `request` are looked up once each (every attribute of
    # the context-local proxies is a lookup of its own).
    @app.before_request
    def _assign_request_id() -> None:
        context = g._get_current_object()  # type: ignore[attr-defined]
        context.started = time.perf_counter()
        context.request_id = uuid.uuid4().hex
        given = request.environ.get("HTTP_X_REQUEST_ID", "")
        context.client_request_id = given if _ACCEPTABLE.fullmatch(given) else None

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        context = g._get_current_object()  # type: ignore[attr-defined]
        request_id = context.get("request_id")
        if request_id is not None:
            response.headers[HEADER] = request_id
        client_request_id = context.get("client_request_id")
        if client_request_id:
            response.headers[CLIENT_HEADER] = client_request_id
        _account(response, requests_log, context)
        return response


def _account(response: Response, requests_log: logging.Logger, context: Any) -> None:
    """Count and time the request, and log its one line."""
    seconds = time.perf_counter() - context.get("started", time.perf_counter())
    asked = request._get_current_object()  # type: ignore[attr-defined]
    rule = asked.url_rule
    route = rule.rule if rule is not None else "<unmatched>"
    status = str(response.status_code)
    counted, timed = metrics.request_series(asked.method, route, status)
    counted.inc()
    timed.observe(seconds)
    if requests_log.isEnabledFor(logging.INFO):
        actor = context.get("flask_httpauth_user")  # set by the token check, when one was needed
        requests_log.info(
            "%s %s %s",
            asked.method,
            route,
            status,
            extra={
                "method": asked.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 3),
                "role": getattr(actor, "role", None),
            },
        )
