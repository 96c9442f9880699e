"""Routes of /api/v1/status: the public register and signed status statements."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from licensing import clock
from licensing.api.conditional import etag, not_modified
from licensing.api.parsing import Blueprint
from licensing.api.status.schemas import (
    PublicLicencePageSchema,
    PublicLicenceSchema,
    RegisterQuerySchema,
    TimelineSchema,
)
from licensing.domain.jws import MEDIA_TYPE as JOSE
from licensing.ratelimit import public_limit
from licensing.services import public, statements
from licensing.services.results import Page, PublicLicenceView

blp = Blueprint("status", __name__, description="The public register: no token needed")
public_limit(blp)

# A public view may be kept, but asked again (cheaply, with its ETag) before each use, so that a
# status change is seen at once.
REVALIDATE = "no-cache"


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
    @blp.alt_response(304, description="The copy named in `If-None-Match` is current")
    def get(self, number: str) -> Any:
        """A licence's public status; `ETag` changes whenever what it shows changes."""
        view = public.lookup(current_app.config["LICENSING_POLICY"], number)
        cache = {"Cache-Control": REVALIDATE}
        return not_modified(view.etag, **cache) or (view, 200, {"ETag": etag(view.etag), **cache})


@blp.route("/<number>/statement")
class Statement(MethodView):
    @blp.response(200, content_type=JOSE)
    @blp.alt_response(304, description="The statement named in `If-None-Match` is current")
    @blp.doc(
        responses={
            "200": {
                "description": "A compact JWS (EdDSA, Ed25519, `kid` in the header) over the "
                "licence's public standing and its last audit event; check it with "
                "/.well-known/jwks.json",
                "content": {JOSE: {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self, number: str) -> Response:
        """A signed status statement, valid for a short time (`exp`), cacheable until shortly
        before it; a status change gives a new one at once."""
        rules = current_app.config["LICENSING_STATEMENTS"]
        statement = statements.issue(
            number,
            current_app.extensions["licensing.signer"],
            current_app.config["LICENSING_POLICY"],
            rules,
        )
        cache = {"Cache-Control": f"public, max-age={statement.max_age(clock.now(), rules)}"}
        return not_modified(statement.etag, **cache) or Response(
            statement.token,
            content_type=JOSE,
            headers={"ETag": etag(statement.etag), **cache},  # type: ignore[arg-type]
        )


@blp.route("/<number>/timeline")
class Timeline(MethodView):
    @blp.response(200, TimelineSchema)
    def get(self, number: str) -> dict[str, Any]:
        """A licence's public timeline, oldest first: its issue and each status change with its
        grounds and the decision it rests on."""
        return {"items": public.timeline(current_app.config["LICENSING_POLICY"], number)}
