"""Console pages of four eyes: the proposals awaiting a second officer, one proposal with its
approval (confirmed by a fresh second-factor code), rejection or withdrawal, and their outcomes
for auditors to read."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from licensing.domain import proposals as rules
from licensing.domain.errors import ActionNotAllowed, InvalidFields, VersionMismatch
from licensing.domain.proposals import (
    CodeRefused,
    NotProposer,
    OwnProposal,
    ProposalClosed,
    ProposalNotFound,
    ProposalPending,
)
from licensing.domain.roles import PEOPLE, REGULATOR
from licensing.services import proposals
from licensing.services.failures import ConcurrentChange
from licensing.web import pages
from licensing.web.console import paging, staff
from licensing.web.console.routes import PAGE_SIZE, blp
from licensing.web.console.staff import requires


@blp.route("/proposals")
@requires(*PEOPLE)
def proposal_list() -> Any:
    state = request.args.get("state")
    state = state if state in rules.STATES else None
    found = proposals.find(
        staff.context(), proposals.Filters(state=state), paging.page_asked(), PAGE_SIZE
    )
    pager = paging.numbered(found, ".proposal_list", state=state)
    return _page("console/proposals.html", found=found, state=state, paged=pager)


@blp.route("/proposals/<int:proposal_id>")
@requires(*PEOPLE)
def proposal(proposal_id: int) -> Any:
    return _proposal_page(proposal_id)


@blp.route("/proposals/<int:proposal_id>/approve", methods=["POST"])
@requires(REGULATOR)
def approve(proposal_id: int) -> Any:
    try:
        proposals.approve(
            staff.context(),
            proposal_id,
            request.form.get("code", "")[:20],
            current_app.config["LICENSING_SIGNIN_POLICY"],
            staff.address(),
        )
    except CodeRefused:
        errors = {"code": [_("This code is not the one your app shows now.")]}
        return _proposal_page(proposal_id, 422, errors=errors)
    except InvalidFields as refused:
        problems = [_(m) for messages in refused.errors.values() for m in messages]
        return _proposal_page(proposal_id, 422, refusals=problems)
    except (VersionMismatch, ConcurrentChange, ActionNotAllowed):
        return _proposal_page(proposal_id, 409)
    flash(_("Approved: the decision was recorded."))
    return redirect(url_for(".proposal", proposal_id=proposal_id), code=303)


@blp.route("/proposals/<int:proposal_id>/reject", methods=["POST"])
@requires(REGULATOR)
def reject(proposal_id: int) -> Any:
    reason = request.form.get("rejection_reason", "")[:4000]
    try:
        proposals.reject(staff.context(), proposal_id, reason)
    except InvalidFields:
        errors = {"rejection_reason": [_("Say why the proposal is rejected.")]}
        return _proposal_page(proposal_id, 422, errors=errors, reason=reason)
    flash(_("The proposal was rejected."))
    return redirect(url_for(".proposal", proposal_id=proposal_id), code=303)


@blp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
@requires(REGULATOR)
def withdraw(proposal_id: int) -> Any:
    proposals.withdraw(staff.context(), proposal_id)
    flash(_("You withdrew the proposal."))
    return redirect(url_for(".proposal", proposal_id=proposal_id), code=303)


def _proposal_page(proposal_id: int, status: int = 200, **more: Any) -> Response:
    ctx = staff.context()
    shown = proposals.get(ctx, proposal_id)
    officer = proposals.officer_of(ctx)
    may_decide = ctx.actor.role == REGULATOR and shown.state == rules.PENDING
    return _page(
        "console/proposal.html",
        status,
        proposal=shown,
        mine=shown.by(officer),
        may_decide=may_decide,
        errors=more.pop("errors", {}),
        **more,
    )


def _page(template: str, status: int = 200, **context: Any) -> Response:
    body = render_template(template, **context)
    return current_app.response_class(body, status=status)


@blp.errorhandler(ProposalNotFound)
def _not_found(_error: ProposalNotFound) -> Response:
    return pages.error_page(404)


@blp.errorhandler(OwnProposal)
@blp.errorhandler(NotProposer)
def _not_yours(_error: Exception) -> Response:
    return pages.error_page(403)


@blp.errorhandler(ProposalClosed)
def _closed(error: ProposalClosed) -> Response:
    # decided, withdrawn, expired or gone stale before this request: shown as it now is
    return _proposal_page(error.proposal_id, 409, closed=True)


@blp.errorhandler(ProposalPending)
def _pending(error: ProposalPending) -> Response:
    # a status form confirmed while another proposal on the licence waits: that one is shown
    return _proposal_page(error.proposal_id, 409, pending_already=True)
