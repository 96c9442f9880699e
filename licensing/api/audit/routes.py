"""Routes of /api/v1/audit: events, verify, checkpoint."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import abort

from licensing import clock
from licensing.api.audit.schemas import EventPageSchema, EventQuerySchema, VerificationSchema
from licensing.api.auth import requires
from licensing.api.parsing import Blueprint
from licensing.domain.exports import EXPORT_FORMATS
from licensing.domain.jws import MEDIA_TYPE as JOSE
from licensing.domain.roles import AUDITOR, REGULATOR
from licensing.http.ratelimit import public_limit
from licensing.services import audit_trail, verification
from licensing.services.audit_trail import TrailFilters

blp = Blueprint("audit", __name__, description="The audit trail: export, verify, checkpoints")

_ACCEPTED = {"application/json": "json", **{f.mime: f.name for f in EXPORT_FORMATS.values()}}
_STREAMS = {
    "application/json": {"schema": EventPageSchema},
    **{
        f.mime: {"schema": {"type": "string", "description": f.description}}
        for f in EXPORT_FORMATS.values()
    },
}


@blp.route("/events")
class Events(MethodView):
    @requires(AUDITOR, REGULATOR)
    @blp.arguments(EventQuerySchema, location="query")
    @blp.response(200, EventPageSchema, description="JSON pages; or CSV / NDJSON streams")
    @blp.doc(responses={"200": {"content": _STREAMS}})
    @blp.alt_response(406, description="`Accept` names none of the formats offered")
    def get(self, query: dict[str, Any]) -> Any:
        """Audit events, oldest first: JSON pages, or every matching event streamed as CSV or
        NDJSON (chosen by `Accept` or `format`)."""
        fmt = _format(query.pop("format", None))
        page, page_size = query.pop("page"), query.pop("page_size")
        filters = TrailFilters(**query)
        if fmt == "json":
            return audit_trail.page(filters, page, page_size)
        if {"page", "page_size"} & set(request.args):
            abort(422, errors={"page": [f"Pages are for JSON; {fmt} streams every match."]})
        stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
        return Response(
            (batch.data for batch in audit_trail.export(filters, fmt)),
            content_type=EXPORT_FORMATS[fmt].media_type,
            headers={
                "Content-Disposition": f'attachment; filename="audit-events-{stamp}.{fmt}"',
                "X-Content-Type-Options": "nosniff",
            },
        )


@blp.route("/verify")
class Verify(MethodView):
    @requires(AUDITOR)
    @blp.response(200, VerificationSchema)
    def get(self) -> verification.Verification:
        """Walk the whole chain in the database and replay every licence's events against the
        register; report the first event or licence that does not hold."""
        return verification.verify(current_app.config["LICENSING_POLICY"])


@blp.route("/checkpoint")
class Checkpoint(MethodView):
    decorators = [public_limit]

    @blp.response(200, content_type=JOSE)
    @blp.doc(
        responses={
            "200": {
                "description": "A compact JWS (EdDSA) over {seq, hash, at}",
                "content": {JOSE: {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self) -> Response:
        """The chain head, signed by the registry. Keep it: a later export must reproduce it."""
        token = audit_trail.checkpoint(current_app.extensions["licensing.signer"])
        return Response(token, content_type=JOSE, headers={"Cache-Control": "no-store"})


def _format(asked: str | None) -> str:
    if asked:
        return asked
    accept = request.accept_mimetypes
    if not accept:
        return "json"
    best = accept.best_match(list(_ACCEPTED))
    if best is None:
        abort(406, message="Ask for application/json, text/csv or application/x-ndjson.")
    return _ACCEPTED[best]
