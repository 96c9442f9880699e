"""The public view of a licence: only what the register may show anyone."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.licences.schemas import STANDING_DOC
from licensing.api.schemas import Instant, PageQuerySchema, Text, page_of
from licensing.domain.decisions import DECIDED_BY
from licensing.domain.lifecycle import ISSUE, STATES, STATUS_ACTIONS
from licensing.domain.regions import REGIONS
from licensing.domain.standing import STANDINGS
from licensing.domain.text import SEARCH


class PublicLicenceSchema(ma.Schema):
    number = fields.String(metadata={"example": "DM-2026-000123"})
    holder_name = fields.String()
    region = fields.String(validate=validate.OneOf(list(REGIONS)))
    subtype = fields.String()
    status = fields.String(validate=validate.OneOf(STATES))
    standing = fields.String(validate=validate.OneOf(STANDINGS), metadata=STANDING_DOC)
    in_force = fields.Boolean()
    status_since = Instant()
    expires_on = fields.Date()
    suspended_until = fields.Date(allow_none=True, metadata={"description": "Only while suspended"})


PublicLicencePageSchema = page_of(PublicLicenceSchema)


class PublicDecisionSchema(ma.Schema):
    number = fields.String(metadata={"example": "17-ЛЦ/2026"})
    date = fields.String(metadata={"example": "2026-11-29"})
    by = fields.String(validate=validate.OneOf(DECIDED_BY))


class TimelineEntrySchema(ma.Schema):
    at = Instant()
    date = fields.Date(metadata={"description": "The day, in the registry's time zone"})
    action = fields.String(validate=validate.OneOf((ISSUE, *STATUS_ACTIONS)))
    from_status = fields.String(data_key="from", allow_none=True)
    to_status = fields.String(data_key="to")
    reason_code = fields.String(
        allow_none=True, metadata={"description": "See /api/v1/reason-codes for its labels"}
    )
    legal_basis = fields.String(allow_none=True)
    until = fields.String(allow_none=True, metadata={"description": "A suspension's last day"})
    decision = fields.Nested(
        PublicDecisionSchema,
        allow_none=True,
        metadata={"description": "The act the change rests on; null before decisions were kept"},
    )


class TimelineSchema(ma.Schema):
    items = fields.List(fields.Nested(TimelineEntrySchema))


class RegisterQuerySchema(PageQuerySchema):
    q = Text(SEARCH, metadata={"description": "Part of the holder's name"})
    region = fields.String(validate=validate.OneOf(list(REGIONS)))
    status = fields.String(validate=validate.OneOf(STATES))
    standing = fields.String(validate=validate.OneOf(STANDINGS))
