"""Routes of /api/v1/status: the public register and signed status statements."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from licensing import clock
from licensing.api.conditional import etag, not_modified
from licensing.api.parsing import Blueprint
from licensing.api.schemas import FlatJson
from licensing.api.status.schemas import (
    PublicLicencePageSchema,
    PublicLicenceSchema,
    RegisterQuerySchema,
    TimelineSchema,
)
from licensing.domain.jws import MEDIA_TYPE as JOSE
from licensing.http.ratelimit import public_limit
from licensing.services import public, statements, transparency

blp = Blueprint("status", __name__, description="The public register: no token needed")
public_limit(blp)

# A public view may be kept, but asked again (cheaply, with its ETag) before each use, so that a
# status change is seen at once.
REVALIDATE = "no-cache"


def _cache_headers(cache_control: str) -> dict[str, Any]:
    """The headers a public view or statement and its 304 carry, for the OpenAPI document."""
    return {
        "ETag": {
            "description": "A digest of what is shown; send it back in `If-None-Match`",
            "schema": {"type": "string"},
        },
        "Cache-Control": {"description": cache_control, "schema": {"type": "string"}},
    }


VALIDATED_COPY = _cache_headers(
    f"`{REVALIDATE}`: a copy may be kept, but is checked with its ETag before each use"
)
SIGNED_COPY = _cache_headers(
    "`public, max-age=N`: a statement may be kept until shortly before it stops holding"
)


@blp.route("")
class Register(MethodView):
    @blp.plain_query(RegisterQuerySchema)
    @blp.response(200, PublicLicencePageSchema)
    def get(self, query: dict[str, Any]) -> Response:
        """Search the public register."""
        found = public.search(current_app.config["LICENSING_POLICY"], **query)
        return Response(_public_licence_json.page(found), content_type="application/json")


# The public view as PublicLicenceSchema writes it (and a page of them, as PublicLicencePageSchema
# does), by one fast encoder.
_public_licence_json = FlatJson(PublicLicenceSchema)


@blp.route("/<number>")
class Status(MethodView):
    @blp.response(200, PublicLicenceSchema, headers=VALIDATED_COPY)
    @blp.alt_response(
        304, description="The copy named in `If-None-Match` is current", headers=VALIDATED_COPY
    )
    def get(self, number: str) -> Response:
        """A licence's public status; `ETag` changes whenever what it shows changes."""
        view = public.lookup(current_app.config["LICENSING_POLICY"], number)
        tag = view.etag
        return not_modified(tag, **{"Cache-Control": REVALIDATE}) or Response(
            _public_licence_json(view),
            content_type="application/json",
            headers={"ETag": etag(tag), "Cache-Control": REVALIDATE},
        )


@blp.route("/<number>/statement")
class Statement(MethodView):
    @blp.response(200, content_type=JOSE, headers=SIGNED_COPY)
    @blp.alt_response(
        304, description="The statement named in `If-None-Match` is current", headers=SIGNED_COPY
    )
    @blp.doc(
        responses={
            "200": {
                "description": "A compact JWS (EdDSA, Ed25519, `kid` in the header) over the "
                "licence's public standing and its last audit event; check it with "
                "/.well-known/jwks.json",
                "content": {JOSE: {"schema": {"type": "string"}}},
                "headers": SIGNED_COPY,
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


TLOG_PROOF = "text/plain; charset=utf-8"


@blp.route("/<number>/statement.tlog-proof")
class StatementProof(MethodView):
    @blp.response(200, content_type=TLOG_PROOF)
    @blp.doc(
        responses={
            "200": {
                "description": "A C2SP tlog-proof (c2sp.org/tlog-proof@v1): the compact JWS "
                "statement as its `extra`, the inclusion path of the statement's event (`index` "
                "= seq - 1) and the log's signed checkpoint of a tree that holds it, with its "
                "cosignatures; check it with /api/v1/log's vkey",
                "content": {TLOG_PROOF: {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self, number: str) -> Response:
        """The status statement with the proof that its event is in the log every auditor and
        witness holds."""
        signer = current_app.extensions["licensing.signer"]
        statement = statements.issue(
            number,
            signer,
            current_app.config["LICENSING_POLICY"],
            current_app.config["LICENSING_STATEMENTS"],
        )
        proof = transparency.statement_proof(
            statement.token, statement.claims["seq"], signer, current_app.config["LICENSING_LOG"]
        )
        return Response(
            proof,
            content_type=TLOG_PROOF,
            headers={
                "Cache-Control": "no-cache",
                "Content-Disposition": f'attachment; filename="{number}.tlog-proof"',
            },
        )


@blp.route("/<number>/timeline")
class Timeline(MethodView):
    @blp.response(200, TimelineSchema)
    def get(self, number: str) -> dict[str, Any]:
        """A licence's public timeline, oldest first: its issue and each status change with its
        grounds and the decision it rests on."""
        return {"items": public.timeline(current_app.config["LICENSING_POLICY"], number)}
