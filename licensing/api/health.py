"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow import fields

from licensing.api.parsing import Blueprint
from licensing.api.problems import problem
from licensing.services import readiness

blp = Blueprint("health", __name__, description="Health checks")


class HealthSchema(ma.Schema):
    status = fields.String(metadata={"example": "ok"})


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, Any]:
        """The process answers."""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, description="The database cannot be reached or has no schema")
    def get(self) -> Any:
        """The process can reach its database and the schema is in place."""
        if readiness.chain_head_seq() is None:
            return problem(503, "The database cannot be reached, or `db upgrade` has not run.")
        return {"status": "ok"}
