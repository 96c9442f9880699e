"""The change feed's query and its page."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.schemas import MAX_SEQ, Count, Instant
from licensing.api.status.schemas import PublicDecisionSchema, PublicLicenceSchema
from licensing.domain.licence import is_licence_number
from licensing.domain.lifecycle import ACTIONS, STATES
from licensing.domain.regions import REGIONS
from licensing.domain.standing import STANDINGS
from licensing.services.changes import DEFAULT_LIMIT, MAX_LIMIT


def _licence_number(value: str) -> None:
    if not is_licence_number(value):
        raise ma.ValidationError("Must be a licence number such as DM-2026-000123.")


class ChangesQuerySchema(ma.Schema):
    after = Count(
        minimum=0,
        maximum=MAX_SEQ,
        load_default=0,
        metadata={"description": "The cursor: changes after this seq (0: from the start)"},
    )
    limit = Count(minimum=1, maximum=MAX_LIMIT, load_default=DEFAULT_LIMIT)
    licence = fields.String(
        validate=_licence_number, metadata={"description": "Only this licence's changes"}
    )
    region = fields.String(
        validate=validate.OneOf(list(REGIONS)),
        metadata={"description": "Only changes of licences in this region (after the change)"},
    )


class ChangeSchema(ma.Schema):
    seq = fields.Integer(metadata={"description": "The event's seq in the audit trail"})
    licence = fields.String(metadata={"example": "DM-2026-000123"})
    action = fields.String(validate=validate.OneOf(ACTIONS))
    from_status = fields.String(data_key="from", allow_none=True, validate=validate.OneOf(STATES))
    to_status = fields.String(data_key="to", validate=validate.OneOf(STATES))
    standing = fields.String(validate=validate.OneOf(STANDINGS))
    view = fields.Nested(
        PublicLicenceSchema, metadata={"description": "The public view right after the change"}
    )
    decision = fields.Nested(PublicDecisionSchema, allow_none=True)
    at = Instant()


class ChangesPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ChangeSchema), required=True)
    next = fields.Integer(
        required=True, metadata={"description": "Send it back as `after` to continue"}
    )
