"""Routes of /api/v1/licences: parse, call one use case, answer."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from licensing.api.auth import requires
from licensing.api.caller import current_context
from licensing.api.conditional import etag, expected_versions, not_modified
from licensing.api.licences.schemas import (
    AmendmentSchema,
    ApplicationSchema,
    HistorySchema,
    LicencePageSchema,
    LicenceQuerySchema,
    LicenceSchema,
    StatusChangeSchema,
    SuspensionSchema,
)
from licensing.api.parsing import Blueprint
from licensing.api.proposals.routes import handle_proposal_errors, proposed
from licensing.api.proposals.schemas import ProposalSchema
from licensing.api.schemas import ProblemSchema
from licensing.domain.decider import Amend, ChangeStatus
from licensing.domain.licence import Application
from licensing.domain.lifecycle import STATUS_ACTIONS, sets_end_date
from licensing.domain.roles import READERS, REGULATOR
from licensing.domain.status_changes import StatusChange
from licensing.services import licences, proposals
from licensing.services.results import LicenceView, Outcome

blp = Blueprint("licences", __name__, description="Licences and their lifecycle")
handle_proposal_errors(blp)

Answer = tuple[LicenceView, int, dict[str, str]]


def answer(view: LicenceView, status: int = 200, **headers: str) -> Answer:
    return view, status, {"ETag": etag(view.version), **headers}


def answer_outcome(outcome: Outcome, status: int = 200, **headers: str) -> Answer:
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return answer(outcome.licence, status, **headers)


@blp.route("")
class Licences(MethodView):
    @requires(*READERS)
    @blp.arguments(LicenceQuerySchema, location="query")
    @blp.response(200, LicencePageSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """List licences (a miner sees only its own)."""
        page, page_size = query.pop("page"), query.pop("page_size")
        return licences.find(current_context(), licences.Filters(**query), page, page_size)

    @requires(REGULATOR)
    @blp.arguments(ApplicationSchema)
    @blp.response(201, LicenceSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid application")
    def post(self, application: Application) -> Answer:
        """Issue a licence."""
        outcome = licences.issue(current_context(), application)
        location = url_for(".Licence", number=outcome.licence.number)
        return answer_outcome(outcome, 201, Location=location)


@blp.route("/<number>")
class Licence(MethodView):
    @requires(*READERS)
    @blp.response(200, LicenceSchema)
    @blp.alt_response(304, description="The client's copy (If-None-Match) is current")
    def get(self, number: str) -> Answer | Response:
        """One licence, with the actions its status allows; its ETag is its version."""
        view = licences.get(current_context(), number)
        return not_modified(view.version) or answer(view)

    @requires(REGULATOR)
    @blp.arguments(AmendmentSchema)
    @blp.response(200, LicenceSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="The licence is revoked")
    @blp.alt_response(412, schema=ProblemSchema, description="Stale If-Match")
    @blp.alt_response(428, schema=ProblemSchema, description="If-Match missing")
    def patch(self, changes: dict[str, Any], number: str) -> Answer:
        """Amend a licence's details; needs `If-Match` with its current ETag."""
        reason, legal_basis = changes.pop("reason", None), changes.pop("legal_basis", None)
        command = Amend(changes, reason, legal_basis, expected_versions(required=True))
        return answer(licences.amend(current_context(), number, command))


def _status_change(action: str, schema: type[StatusChangeSchema]) -> None:
    class StatusAction(MethodView):
        @requires(REGULATOR)
        @blp.arguments(schema)
        @blp.response(200, LicenceSchema)
        @blp.alt_response(
            202,
            schema=ProposalSchema,
            description="The action needs a second officer (LICENSING_APPROVAL_REQUIRED): a "
            "pending proposal, at `Location`",
            headers={"Location": {"description": "The proposal", "schema": {"type": "string"}}},
        )
        @blp.alt_response(
            409,
            schema=ProblemSchema,
            description="Not allowed from the current status; or a proposal is pending",
        )
        @blp.alt_response(412, schema=ProblemSchema, description="Stale If-Match")
        @blp.alt_response(422, schema=ProblemSchema, description="Invalid grounds or decision")
        def post(self, change: StatusChange, number: str) -> Any:
            command = ChangeStatus(action, change, expected_versions(required=False))
            taken = proposals.take_status_action(current_context(), number, command)
            if isinstance(taken, proposals.Proposed):
                return proposed(taken)
            return answer_outcome(taken)

    StatusAction.post.__doc__ = (
        f"{action.capitalize()} a licence. `If-Match` is honoured when sent."
    )
    StatusAction.__name__ = action.capitalize()
    blp.route(f"/<number>/{action}")(StatusAction)


for _action in STATUS_ACTIONS:
    _status_change(_action, SuspensionSchema if sets_end_date(_action) else StatusChangeSchema)


@blp.route("/<number>/history")
class History(MethodView):
    @requires(*READERS)
    @blp.response(200, HistorySchema)
    def get(self, number: str) -> dict[str, Any]:
        """The licence's audit events, oldest first, in the exported event format."""
        return {"items": licences.history(current_context(), number)}
