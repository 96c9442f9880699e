"""Routes of /api/v1/proposals: parse, call one use case, answer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response, jsonify, url_for
from flask.views import MethodView

from licensing.api.auth import requires
from licensing.api.caller import current_context
from licensing.api.parsing import Blueprint
from licensing.api.problems import problem
from licensing.api.proposals.schemas import (
    ProposalPageSchema,
    ProposalQuerySchema,
    ProposalSchema,
    RejectionSchema,
)
from licensing.api.schemas import ProblemSchema
from licensing.domain.proposals import (
    CodeRefused,
    NotProposer,
    OwnProposal,
    ProposalClosed,
    ProposalNotFound,
    ProposalPending,
)
from licensing.domain.roles import AUDITOR, REGULATOR
from licensing.services import proposals
from licensing.services.proposals import Decided, ProposalView, Proposed

blp = Blueprint(
    "proposals", __name__, description="Four eyes: status changes a second officer approves"
)


def handle_proposal_errors(blueprint: FlaskBlueprint) -> None:
    """Answer the errors of four eyes raised in `blueprint`'s routes with their problems."""
    app = blueprint

    @app.errorhandler(ProposalNotFound)
    def _not_found(error: ProposalNotFound) -> Response:
        return problem(404, f"No proposal {error.proposal_id}.", kind="proposal-not-found")

    @app.errorhandler(ProposalPending)
    def _pending(error: ProposalPending) -> Response:
        return problem(
            409,
            f"Licence {error.licence} already has a pending proposal; it is decided (or "
            "withdrawn) before another is made.",
            kind="proposal-pending",
            title="A proposal is pending",
            proposal_id=error.proposal_id,
            headers={"Location": url_for("proposals.Proposal", proposal_id=error.proposal_id)},
        )

    @app.errorhandler(ProposalClosed)
    def _closed(error: ProposalClosed) -> Response:
        return problem(
            409,
            f"Proposal {error.proposal_id} is {error.state}: nothing more can be done with it."
            + (" The licence changed since it was proposed." if error.state == "stale" else ""),
            kind=f"proposal-{error.state}",
            title="The proposal is no longer pending",
            proposal_id=error.proposal_id,
            state=error.state,
        )

    @app.errorhandler(OwnProposal)
    def _own(error: OwnProposal) -> Response:
        return problem(
            403,
            "Another officer decides on a proposal: its proposer may not approve or reject it.",
            kind="own-proposal",
            proposal_id=error.proposal_id,
        )

    @app.errorhandler(NotProposer)
    def _not_proposer(error: NotProposer) -> Response:
        return problem(
            403,
            "Only the officer who made a proposal may withdraw it.",
            kind="not-proposer",
            proposal_id=error.proposal_id,
        )

    @app.errorhandler(CodeRefused)
    def _code(error: CodeRefused) -> Response:
        return problem(403, "The second factor's code was refused.", kind="code-refused")


handle_proposal_errors(blp)


def proposed(outcome: Proposed) -> tuple[Response, int, dict[str, str]]:
    """The answer to a status action that became a proposal: 202, the proposal, its Location."""
    headers = {"Location": url_for("proposals.Proposal", proposal_id=outcome.proposal.id)}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(ProposalSchema().dump(outcome.proposal)), 202, headers


def decided(outcome: Decided) -> tuple[ProposalView, dict[str, str]]:
    """The answer to an approval, rejection or withdrawal: the proposal, and whether it is the
    kept answer to an earlier request with the same Idempotency-Key."""
    return outcome.proposal, {"Idempotent-Replayed": "true"} if outcome.replayed else {}


@blp.route("")
class Proposals(MethodView):
    @requires(REGULATOR, AUDITOR)
    @blp.arguments(ProposalQuerySchema, location="query")
    @blp.response(200, ProposalPageSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Proposals, newest first; filters `state` (as each stands now) and `licence`."""
        page, page_size = query.pop("page"), query.pop("page_size")
        return proposals.find(current_context(), proposals.Filters(**query), page, page_size)


@blp.route("/<int:proposal_id>")
class Proposal(MethodView):
    @requires(REGULATOR, AUDITOR)
    @blp.response(200, ProposalSchema)
    def get(self, proposal_id: int) -> ProposalView:
        """One proposal and its outcome."""
        return proposals.get(current_context(), proposal_id)


_CLOSED = "The proposal is no longer pending (or became stale or expired just now)"


@blp.route("/<int:proposal_id>/approve")
class Approve(MethodView):
    @requires(REGULATOR)
    @blp.response(200, ProposalSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="The proposer may not approve")
    @blp.alt_response(409, schema=ProblemSchema, description=_CLOSED)
    @blp.alt_response(422, schema=ProblemSchema, description="The change no longer holds")
    def post(self, proposal_id: int) -> tuple[ProposalView, dict[str, str]]:
        """Approve a proposal (another officer than its proposer): its change is carried out at
        once, and its event records who proposed and who approved it."""
        return decided(proposals.approve(current_context(), proposal_id))


@blp.route("/<int:proposal_id>/reject")
class Reject(MethodView):
    @requires(REGULATOR)
    @blp.arguments(RejectionSchema)
    @blp.response(200, ProposalSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="The proposer may not reject")
    @blp.alt_response(409, schema=ProblemSchema, description=_CLOSED)
    def post(self, body: dict[str, str], proposal_id: int) -> tuple[ProposalView, dict[str, str]]:
        """Reject a proposal, with the reason (another officer than its proposer)."""
        return decided(proposals.reject(current_context(), proposal_id, body["reason"]))


@blp.route("/<int:proposal_id>/withdraw")
class Withdraw(MethodView):
    @requires(REGULATOR)
    @blp.response(200, ProposalSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Only the proposer withdraws")
    @blp.alt_response(409, schema=ProblemSchema, description=_CLOSED)
    def post(self, proposal_id: int) -> tuple[ProposalView, dict[str, str]]:
        """Withdraw one's own proposal."""
        return decided(proposals.withdraw(current_context(), proposal_id))
