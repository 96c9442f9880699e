"""/api/v1/reason-codes: the catalogue of grounds for status changes, for anyone to read."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from licensing.api.parsing import Blueprint
from licensing.api.reasons.schemas import ReasonCodesSchema
from licensing.http.ratelimit import public_limit
from licensing.services import public

blp = Blueprint("reason-codes", __name__, description="Reason codes: the grounds of status changes")
public_limit(blp)


@blp.route("")
class ReasonCodes(MethodView):
    @blp.response(200, ReasonCodesSchema)
    def get(self) -> dict[str, Any]:
        """Every reason code: the actions it may justify and those this registry accepts it for,
        its label in kk, ru and en, and the legal provision it rests on."""
        return {"items": public.reason_codes(current_app.config["LICENSING_POLICY"])}
