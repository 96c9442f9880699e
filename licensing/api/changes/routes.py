"""Routes of /api/v1/changes: the change feed, replayable from 0."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from licensing.api.changes.schemas import ChangesPageSchema, ChangesQuerySchema
from licensing.api.parsing import Blueprint
from licensing.http.ratelimit import public_limit
from licensing.services import changes

blp = Blueprint("changes", __name__, description="The change feed: no token needed")
public_limit(blp)


@blp.route("")
class Changes(MethodView):
    @blp.plain_query(ChangesQuerySchema)
    @blp.response(200, ChangesPageSchema)
    def get(self, query: dict[str, Any]) -> Response:
        """Every change to what the public sees, in trail order, from the cursor `after`; `next`
        continues. Amendments appear when they change the public view."""
        page = changes.page(**query)
        return Response(page.json(), content_type="application/json")
