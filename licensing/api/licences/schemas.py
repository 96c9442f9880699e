"""Licences on the wire. Shapes and types only: the rules on values live in the domain."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.audit.schemas import EventSchema
from licensing.api.schemas import Instant, PageQuerySchema, bounded_text, checked_by, page_of
from licensing.domain import decisions, licence
from licensing.domain.decisions import Decision
from licensing.domain.holder import bin_problems
from licensing.domain.licence import AMENDABLE, SUBTYPES, Application
from licensing.domain.lifecycle import ACTIONS, STATES
from licensing.domain.regions import REGIONS

_REGION = validate.OneOf(list(REGIONS))
_SUBTYPE = validate.OneOf(SUBTYPES)
_CAPACITY = {
    "description": "Capacity in MW: a decimal string (or number), > 0, at most 10000.",
    "example": "12.5",
}
_HOLDER_NAME = bounded_text(licence.TEXT_LIMITS["holder_name"])
_SITE = bounded_text(licence.TEXT_LIMITS["site_address"])
_CAPACITY_RULE = checked_by(licence.capacity_problems)


class ApplicationSchema(ma.Schema):
    """An application to issue a licence."""

    holder_name = fields.String(
        required=True,
        validate=_HOLDER_NAME,
        metadata={"example": "ТОО «Экибастуз Цифровой Майнинг»"},
    )
    holder_bin = fields.String(
        required=True,
        validate=checked_by(bin_problems),
        metadata={"description": "12-digit BIN or IIN", "example": "971240001315"},
    )
    subtype = fields.String(
        required=True,
        validate=_SUBTYPE,
        metadata={"description": "I: own data centre; II: hosted in another's data centre"},
    )
    site_address = fields.String(required=True, validate=_SITE)
    region = fields.String(required=True, validate=_REGION)
    capacity_mw = fields.Decimal(required=True, validate=_CAPACITY_RULE, metadata=_CAPACITY)
    issued_on = fields.Date(metadata={"description": "Defaults to today"})
    expires_on = fields.Date(metadata={"description": "Defaults to the end of the licence term"})

    @ma.post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Application:
        return Application(**data)


class AmendmentSchema(ma.Schema):
    """The details to change; the holder's BIN and the term cannot be amended."""

    holder_name = fields.String(validate=_HOLDER_NAME)
    subtype = fields.String(validate=_SUBTYPE)
    site_address = fields.String(validate=_SITE)
    region = fields.String(validate=_REGION)
    capacity_mw = fields.Decimal(validate=_CAPACITY_RULE, metadata=_CAPACITY)
    reason = fields.String(
        metadata={"description": "Why the details change (kept in the audit trail)"}
    )
    legal_basis = fields.String()

    @ma.validates_schema
    def _something_to_amend(self, data: dict[str, Any], **_: Any) -> None:
        if not set(data) & set(AMENDABLE):
            raise ma.ValidationError(
                f"Give at least one field to amend: {', '.join(AMENDABLE)}.", "body"
            )


class DecisionSchema(ma.Schema):
    """A regulator's decision: the reason code, the reason in words, and its legal basis."""

    reason_code = fields.String(required=True, metadata={"example": "violation_found"})
    reason = fields.String(required=True, validate=bounded_text(decisions.TEXT_LIMITS["reason"]))
    legal_basis = fields.String(
        required=True, validate=bounded_text(decisions.TEXT_LIMITS["legal_basis"])
    )

    @ma.post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Decision:
        return Decision(**data)


class SuspensionSchema(DecisionSchema):
    until = fields.Date(
        required=True,
        metadata={"description": "Last day of the suspension: one to six months ahead by default"},
    )


class LicenceSchema(ma.Schema):
    number = fields.String(metadata={"example": "DM-2026-000123"})
    holder_name = fields.String()
    holder_bin = fields.String()
    subtype = fields.String(validate=_SUBTYPE)
    site_address = fields.String()
    region = fields.String(validate=_REGION)
    capacity_mw = fields.String(metadata={"example": "12.5"})
    issued_on = fields.Date()
    expires_on = fields.Date()
    status = fields.String(validate=validate.OneOf(STATES))
    in_force = fields.Boolean(metadata={"description": "issued or resumed, and not expired"})
    overdue = fields.Boolean(metadata={"description": "suspended past its `suspended_until`"})
    status_since = Instant()
    suspended_until = fields.Date(allow_none=True)
    version = fields.Integer(metadata={"description": "Also the ETag"})
    created_at = Instant()
    updated_at = Instant()
    allowed_actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)))


LicencePageSchema = page_of(LicenceSchema)


class LicenceQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATES))
    holder_bin = fields.String()
    region = fields.String(validate=_REGION)
    q = fields.String(metadata={"description": "Part of the holder's name or of the number"})
    overdue = fields.Boolean(metadata={"description": "true: only suspensions past their end"})


class HistorySchema(ma.Schema):
    items = fields.List(fields.Nested(EventSchema))
