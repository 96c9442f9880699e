"""Webhook subscriptions as the API reads and writes them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from licensing.api.schemas import MAX_SEQ, Count, Instant, PageQuerySchema, page_of
from licensing.domain.lifecycle import ACTIONS
from licensing.domain.webhooks import MAX_URL, STATUSES

FOLLOWS_DOC = {
    "description": 'One of {"licences": ["DM-2026-000123", ...]}, {"holder_bin": "..."}, '
    '{"region": "pavlodar"}, {"all": true}',
    "example": {"region": "pavlodar"},
}


class NewSubscriptionSchema(ma.Schema):
    # the domain checks the URL and what is followed, reporting every bad field at once
    url = fields.String(required=True, validate=validate.Length(max=MAX_URL + 1))
    follows = fields.Dict(required=True, metadata=FOLLOWS_DOC)
    actions = fields.List(
        fields.String(validate=validate.Length(max=40)),
        validate=validate.Length(max=len(ACTIONS) * 2),
        metadata={
            "description": f"Which actions to hear of; all by default ({', '.join(ACTIONS)})"
        },
    )


class SubscriptionSchema(ma.Schema):
    id = fields.String(metadata={"example": "sub_5f0c2a9d1e7b3c48"})
    url = fields.String()
    follows = fields.Dict(metadata=FOLLOWS_DOC)
    actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)))
    status = fields.String(validate=validate.OneOf(STATUSES))
    cursor = fields.Integer(metadata={"description": "The seq of the last change passed on"})
    lag = fields.Integer(metadata={"description": "The trail's head seq minus the cursor"})
    owner = fields.String(metadata={"description": "The name of the token that made it"})
    created_at = Instant()
    updated_at = Instant()
    attempts = fields.Integer(metadata={"description": "Failed attempts of the next change"})
    next_attempt_at = Instant(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_delivered_at = Instant(allow_none=True)
    delivered = fields.Integer()
    failed = fields.Integer()


class CreatedSubscriptionSchema(SubscriptionSchema):
    secret = fields.String(
        metadata={"description": "The signing secret (whsec_...): shown this once, never again"}
    )


SubscriptionPageSchema = page_of(SubscriptionSchema)
SubscriptionQuerySchema = PageQuerySchema


class RedeliverySchema(ma.Schema):
    from_seq = Count(
        minimum=1, maximum=MAX_SEQ, required=True,
        metadata={"description": "Deliver again every matching change from this seq on"},
    )  # fmt: skip


class DeliverySchema(ma.Schema):
    attempt = fields.Integer()
    seq = fields.Integer(metadata={"description": "The change's seq (0 for a test)"})
    webhook_id = fields.String()
    at = Instant()
    outcome = fields.String(validate=validate.OneOf(("delivered", "failed", "gone", "test")))
    status = fields.Integer(allow_none=True, metadata={"description": "The HTTP status answered"})
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)


class QueuedTestSchema(ma.Schema):
    subscription = fields.String(metadata={"example": "sub_5f0c2a9d1e7b3c48"})
    webhook_id = fields.String(
        metadata={"description": "The test's webhook-id, under which its outcome is logged"}
    )
    outcome = fields.String(validate=validate.OneOf(("queued",)))
    deliveries = fields.String(
        metadata={"description": "The delivery log, where the test appears once it was sent"}
    )


class DeliveryLogSchema(ma.Schema):
    items = fields.List(fields.Nested(DeliverySchema))
