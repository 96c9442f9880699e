"""Routes of the signed PDF extract on the API (the same file as the licence page's)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, abort, current_app, request
from flask.views import MethodView
from marshmallow import fields, validate

from licensing.api.parsing import Blueprint
from licensing.api.problems import problem
from licensing.domain.licence import is_licence_number
from licensing.http.ratelimit import public_limit
from licensing.services.document_signing import DocumentSigningUnavailable
from licensing.web.documents import extract_response

LANGUAGES = ("kk", "ru", "en")
PDF = "application/pdf"

blp = Blueprint("documents", __name__, description="Signed PDF extracts: no token needed")
public_limit(blp)


class ExtractQuerySchema(ma.Schema):
    lang = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "The extract's language; default: the best of Accept-Language"},
    )


@blp.errorhandler(DocumentSigningUnavailable)
def _cannot_sign(error: DocumentSigningUnavailable) -> Response:
    current_app.logger.error("an extract was asked for but cannot be signed: %s", error)
    return problem(
        503,
        "The registry cannot sign documents at the moment, so it issues no extract rather than "
        "an unsigned one; the signed status statement is available.",
        headers={"Retry-After": "300"},
    )


@blp.route("/<number>/extract.pdf")
class ExtractPdf(MethodView):
    @blp.arguments(ExtractQuerySchema, location="query")
    @blp.response(200, content_type=PDF)
    @blp.alt_response(304, description="The extract named in `If-None-Match` is current")
    @blp.doc(
        responses={
            "200": {
                "description": "A4 PDF/A-3b, signed (PAdES B-B; B-T with a timestamp "
                "authority): the licence's public facts, standing and history of decisions, a QR "
                "code to /verify, and the status statement (`<number>.jws`) and its log proof "
                "(`<number>.tlog-proof`) attached",
                "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
            },
            "503": {"description": "The document-signing certificate cannot be used"},
        }
    )
    def get(self, query: dict[str, Any], number: str) -> Response:
        """The licence's signed extract; the same extract is made once per licence state,
        language and statement window, and a weak `ETag` answers 304."""
        if not current_app.config["LICENSING_EXTRACTS"] or not is_licence_number(number):
            abort(404)
        language = query.get("lang") or request.accept_languages.best_match(LANGUAGES) or "kk"
        return extract_response(number, language)
