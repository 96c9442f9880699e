"""Routes of /api/v1/status: the public register."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from licensing.api.parsing import Blueprint
from licensing.api.status.schemas import (
    PublicLicencePageSchema,
    PublicLicenceSchema,
    RegisterQuerySchema,
    TimelineSchema,
)
from licensing.ratelimit import public_limit
from licensing.services import public
from licensing.services.results import Page, PublicLicenceView

blp = Blueprint("status", __name__, description="The public register: no token needed")
public_limit(blp)


@blp.route("")
class Register(MethodView):
    @blp.arguments(RegisterQuerySchema, location="query")
    @blp.response(200, PublicLicencePageSchema)
    def get(self, query: dict[str, Any]) -> Page[PublicLicenceView]:
        """Search the public register."""
        return public.search(current_app.config["LICENSING_POLICY"], **query)


@blp.route("/<number>")
class Status(MethodView):
    @blp.response(200, PublicLicenceSchema)
    def get(self, number: str) -> PublicLicenceView:
        """A licence's public status."""
        return public.lookup(current_app.config["LICENSING_POLICY"], number)


@blp.route("/<number>/timeline")
class Timeline(MethodView):
    @blp.response(200, TimelineSchema)
    def get(self, number: str) -> dict[str, Any]:
        """A licence's public timeline, oldest first: its issue and each status change with its
        grounds and the decision it rests on."""
        return {"items": public.timeline(current_app.config["LICENSING_POLICY"], number)}
