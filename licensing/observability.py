"""Request ids and logs: every response carries `X-Request-ID`, every log line names it.

The id is always the registry's own, made here: it is what the audit trail records, so no client
can put its words into the hash chain. A client's (or proxy's) own `X-Request-ID`, when it is a
sensible token, is echoed back as `X-Client-Request-ID` and logged beside ours, so one request can
still be followed across systems."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

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


def init_app(app: Flask) -> None:
    # on the logger, so every record of the app carries the id; on the handler, for records that
    # reach it from child loggers
    for target in (app.logger, default_handler):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    default_handler.setFormatter(
        logging.Formatter(
            "[%(asctime)s] %(levelname)s request=%(request_id)s"
            " client_request=%(client_request_id)s %(name)s: %(message)s"
        )
    )
    app.logger.setLevel(app.config["LICENSING_LOG_LEVEL"])

    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = uuid.uuid4().hex
        given = request.headers.get(HEADER, "")
        g.client_request_id = given if _ACCEPTABLE.fullmatch(given) else None

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        if g.get("client_request_id"):
            response.headers[CLIENT_HEADER] = g.client_request_id
        return response
