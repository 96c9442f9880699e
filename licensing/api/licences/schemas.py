"""Licences on the wire. Shapes and types only: the rules on values live in the domain."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.audit.schemas import EventSchema
from licensing.api.schemas import (
    Day,
    DecimalText,
    Instant,
    PageQuerySchema,
    Text,
    checked_by,
    page_of,
)
from licensing.domain import licence, status_changes
from licensing.domain.decisions import DECIDED_BY, NUMBER_RULE, Decision
from licensing.domain.holder import bin_problems
from licensing.domain.licence import AMENDABLE, SUBTYPES, Application
from licensing.domain.lifecycle import ACTIONS, STATES
from licensing.domain.regions import REGIONS
from licensing.domain.standing import STANDINGS
from licensing.domain.status_changes import StatusChange
from licensing.domain.text import SEARCH

_REGION = validate.OneOf(list(REGIONS))
_SUBTYPE = validate.OneOf(SUBTYPES)
_CAPACITY = {
    "description": "Capacity in MW: a decimal string (or number), > 0, at most 10000.",
    "example": "12.5",
}
STANDING_DOC = {
    "description": "What the licence is worth today: in_force, suspended, suspension_overdue, "
    "revoked, expired (its term ran out) or not_yet_in_force. `status` is the lifecycle state."
}
_CAPACITY_RULE = checked_by(licence.capacity_problems)
_HOLDER_BIN = {
    "description": "12-digit BIN or IIN",
    "example": "971240001315",
    "pattern": "^[0-9]{12}$",
}


class ApplicationSchema(ma.Schema):
    """An application to issue a licence."""

    holder_name = Text(
        licence.TEXT_RULES["holder_name"],
        required=True,
        metadata={"example": "ТОО «Экибастуз Цифровой Майнинг»"},
    )
    holder_bin = fields.String(
        required=True, validate=checked_by(bin_problems), metadata=_HOLDER_BIN
    )
    subtype = fields.String(
        required=True,
        validate=_SUBTYPE,
        metadata={"description": "I: own data centre; II: hosted in another's data centre"},
    )
    site_address = Text(licence.TEXT_RULES["site_address"], required=True)
    region = fields.String(required=True, validate=_REGION)
    capacity_mw = DecimalText(required=True, validate=_CAPACITY_RULE, metadata=_CAPACITY)
    issued_on = Day(metadata={"description": "Defaults to today; not before the law's start"})
    expires_on = Day(metadata={"description": "Defaults to the end of the licence term"})

    @ma.post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Application:
        return Application(**data)


class AmendmentSchema(ma.Schema):
    """The details to change; the holder's BIN and the term cannot be amended."""

    holder_name = Text(licence.TEXT_RULES["holder_name"])
    subtype = fields.String(validate=_SUBTYPE)
    site_address = Text(licence.TEXT_RULES["site_address"])
    region = fields.String(validate=_REGION)
    capacity_mw = DecimalText(validate=_CAPACITY_RULE, metadata=_CAPACITY)
    reason = Text(
        status_changes.TEXT_RULES["reason"],
        metadata={"description": "Why the details change (kept in the audit trail)"},
    )
    legal_basis = Text(status_changes.TEXT_RULES["legal_basis"])

    @ma.validates_schema
    def _something_to_amend(self, data: dict[str, Any], **_: Any) -> None:
        if not set(data) & set(AMENDABLE):
            raise ma.ValidationError(
                f"Give at least one field to amend: {', '.join(AMENDABLE)}.", "body"
            )


class DecisionSchema(ma.Schema):
    """The act a status change rests on: the licensor's order or a court's decision."""

    number = Text(
        NUMBER_RULE,
        required=True,
        metadata={"description": "The decision's own number", "example": "17-ЛЦ/2026"},
    )
    date = Day(
        required=True,
        metadata={
            "description": "The day it was taken: not in the future (the registry's time zone), "
            "not before the licence was issued",
            "example": "2026-11-29",
        },
    )
    by = fields.String(
        required=True,
        validate=validate.OneOf(DECIDED_BY),
        metadata={
            "description": "Who took it: `court` goes with the reason code `court_order`, and "
            "`court_order` only with `court`",
            "example": "licensor",
        },
    )

    @ma.post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Decision:
        return Decision(**data)


class StatusChangeSchema(ma.Schema):
    """A status change's grounds: the reason code (see /api/v1/reason-codes), the reason in words,
    its legal basis, and the decision it rests on."""

    reason_code = fields.String(
        required=True, validate=validate.Length(max=64), metadata={"example": "violation_found"}
    )
    reason = Text(status_changes.TEXT_RULES["reason"], required=True)
    legal_basis = Text(status_changes.TEXT_RULES["legal_basis"], required=True)
    decision = fields.Nested(DecisionSchema, required=True)

    @ma.post_load
    def _make(self, data: dict[str, Any], **_: Any) -> StatusChange:
        return StatusChange(**data)


class SuspensionSchema(StatusChangeSchema):
    until = Day(
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
    standing = fields.String(validate=validate.OneOf(STANDINGS), metadata=STANDING_DOC)
    in_force = fields.Boolean(metadata={"description": "standing is in_force"})
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
    holder_bin = fields.String(validate=validate.Regexp("^[0-9]{12}$"), metadata=_HOLDER_BIN)
    region = fields.String(validate=_REGION)
    q = Text(SEARCH, metadata={"description": "Part of the holder's name or of the number"})
    overdue = fields.Boolean(metadata={"description": "true: only suspensions past their end"})
    standing = fields.String(validate=validate.OneOf(STANDINGS))


class HistorySchema(ma.Schema):
    items = fields.List(fields.Nested(EventSchema))
