"""Request ids and logs: every response carries `X-Request-ID`, every log line names it."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
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
            "[%(asctime)s] %(levelname)s request=%(request_id)s %(name)s: %(message)s"
        )
    )
    app.logger.setLevel(app.config["LICENSING_LOG_LEVEL"])

    @app.before_request
    def _assign_request_id() -> None:
        # a proxy's id is kept, so one request can be followed across systems; odd ones are replaced
        given = request.headers.get(HEADER, "")
        g.request_id = given if _ACCEPTABLE.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response
