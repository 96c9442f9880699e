"""Audit events, their filters, and the answers of verification."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.schemas import MAX_SEQ, Count, Instant, PageQuerySchema, Text, page_of
from licensing.domain.chain import EVENT_FIELDS
from licensing.domain.exports import EXPORT_FORMATS
from licensing.domain.lifecycle import ACTIONS
from licensing.domain.text import NAME

FORMATS = ("json", *EXPORT_FORMATS)


_EVENT_DOCS = {
    "action": {"enum": list(ACTIONS)},
    "at": {"format": "date-time", "example": "2026-11-28T19:51:57.123456Z"},
    "hash": {"description": "SHA-256 over the event's canonical JSON without this key"},
    "prev": {"description": "The hash of the event before (64 zeros for the first)"},
    "data": {"description": "What the action set: the new licence, a suspension's end, changes"},
}
_EVENT_KINDS: dict[type, type[fields.Field]] = {
    int: fields.Integer,
    str: fields.String,
    dict: fields.Dict,
}


def _event_schema() -> type[ma.Schema]:
    """An audit event in the exported format, from the one declaration of its fields."""
    return ma.Schema.from_dict(
        {
            field.name: _EVENT_KINDS[field.kind](
                allow_none=field.nullable, metadata=_EVENT_DOCS.get(field.name, {})
            )
            for field in EVENT_FIELDS
        },
        name="EventSchema",
    )


EventSchema = _event_schema()


EventPageSchema = page_of(EventSchema)


class EventQuerySchema(PageQuerySchema):
    licence = fields.String(
        validate=validate.Length(max=20), metadata={"description": "Only this licence's events"}
    )
    action = fields.String(validate=validate.OneOf(ACTIONS))
    actor = Text(NAME, metadata={"description": "Only events by this actor (a token's name)"})
    since = Instant(metadata={"description": "Events at or after this time"})
    until = Instant(metadata={"description": "Events before this time"})
    after_seq = Count(minimum=0, maximum=MAX_SEQ, metadata={"description": "Events after this seq"})
    format = fields.String(
        validate=validate.OneOf(FORMATS),
        metadata={
            "description": "json (pages, the default), or a full stream as csv or ndjson; "
            "overrides Accept"
        },
    )


class HeadSchema(ma.Schema):
    seq = fields.Integer()
    hash = fields.String()


class VerificationSchema(ma.Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    head = fields.Nested(
        HeadSchema, allow_none=True, metadata={"description": "Last event that holds"}
    )
    first_bad_seq = fields.Integer(
        allow_none=True, metadata={"description": "First event that does not hold"}
    )
    first_bad_licence = fields.String(
        allow_none=True,
        metadata={"description": "First licence whose register row differs from its events"},
    )
    problem = fields.String(allow_none=True, metadata={"description": "What does not hold"})
