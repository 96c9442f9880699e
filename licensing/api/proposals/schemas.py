"""Proposals on the wire. Shapes and types only: the rules live in the domain."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.schemas import Instant, PageQuerySchema, Text, page_of
from licensing.domain.licence import NUMBER_PREFIX
from licensing.domain.lifecycle import STATUS_ACTIONS
from licensing.domain.proposals import REJECTION_RULE, STATES


class ProposedDecisionSchema(ma.Schema):
    number = fields.String(metadata={"example": "17-ЛЦ/2026"})
    date = fields.String(metadata={"example": "2026-11-29"})
    by = fields.String(metadata={"example": "licensor"})


class ProposalSchema(ma.Schema):
    """A status change proposed by one officer, for another to approve or reject."""

    id = fields.Integer()
    licence = fields.String(metadata={"example": "DM-2026-000123"})
    action = fields.String(validate=validate.OneOf(STATUS_ACTIONS))
    state = fields.String(
        validate=validate.OneOf(STATES),
        metadata={
            "description": "pending; approved (and carried out: `seq` is its event); rejected "
            "(see `rejection_reason`); withdrawn by the proposer; expired (not decided in time); "
            "stale (the licence changed since it was proposed)"
        },
    )
    licence_version = fields.Integer(metadata={"description": "The version it was proposed on"})
    reason_code = fields.String()
    reason = fields.String()
    legal_basis = fields.String()
    decision = fields.Nested(ProposedDecisionSchema)
    until = fields.Date(allow_none=True, metadata={"description": "For a suspension: its end"})
    proposed_by = fields.String()
    proposed_at = Instant()
    expires_at = Instant(metadata={"description": "Not decided by then, it has expired"})
    decided_by = fields.String(allow_none=True)
    decided_at = Instant(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    seq = fields.Integer(allow_none=True, metadata={"description": "The approved change's event"})


ProposalPageSchema = page_of(ProposalSchema)


class ProposalQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(STATES))
    licence = fields.String(
        validate=validate.Regexp(rf"^{NUMBER_PREFIX}-[0-9]{{4}}-[0-9]{{6,12}}$"),
        metadata={"example": "DM-2026-000123"},
    )


class RejectionSchema(ma.Schema):
    reason = Text(
        REJECTION_RULE,
        required=True,
        metadata={"description": "Why the proposal is rejected (kept with it)"},
    )
