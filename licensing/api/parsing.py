"""How requests are read: JSON bodies only (415 otherwise), and no unknown query parameters."""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort


class RegistryParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req: flask.Request) -> Any:
        # webargs treats a body of another type as "no body", which would surface as a confusing
        # "missing field" error; a client that sent form data or XML needs to hear 415.
        if not core.is_json(req.mimetype):
            abort(415)
        body = req.get_data(cache=True)
        if not body.strip():
            abort(400, messages={"json": ["The body is empty: send a JSON object."]})
        return core.parse_json(body)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = RegistryParser()
