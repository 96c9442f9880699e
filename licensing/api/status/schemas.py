"""The public view of a licence: only what the register may show anyone."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.licences.schemas import STANDING_DOC
from licensing.api.schemas import Instant, PageQuerySchema, Text, page_of
from licensing.domain.lifecycle import STATES
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


class RegisterQuerySchema(PageQuerySchema):
    q = Text(SEARCH, metadata={"description": "Part of the holder's name"})
    region = fields.String(validate=validate.OneOf(list(REGIONS)))
    status = fields.String(validate=validate.OneOf(STATES))
    standing = fields.String(validate=validate.OneOf(STANDINGS))
