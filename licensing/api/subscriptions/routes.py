"""Routes of /api/v1/subscriptions: webhook endpoints, their deliveries and redeliveries."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, current_app, url_for
from flask.views import MethodView

from licensing.api.auth import current_actor, requires
from licensing.api.caller import current_context
from licensing.api.parsing import Blueprint
from licensing.api.problems import problem
from licensing.api.schemas import ProblemSchema
from licensing.api.subscriptions.schemas import (
    CreatedSubscriptionSchema,
    DeliveryLogSchema,
    NewSubscriptionSchema,
    QueuedTestSchema,
    RedeliverySchema,
    SubscriptionPageSchema,
    SubscriptionQuerySchema,
    SubscriptionSchema,
)
from licensing.domain.roles import SUBSCRIBERS
from licensing.domain.webhooks import SubscriptionNotFound
from licensing.services import deliveries, subscriptions
from licensing.services.subscriptions import SubscriptionView

blp = Blueprint("subscriptions", __name__, description="Webhooks: signed deliveries of changes")
DELIVERY_LOG = {
    "Location": {
        "description": "The subscription's delivery log, where the test's outcome appears",
        "schema": {"type": "string"},
    }
}


@blp.errorhandler(SubscriptionNotFound)
def _not_found(error: SubscriptionNotFound) -> Response:
    return problem(404, detail=f"There is no subscription {error.subscription_id!r} of yours.")


def _actor() -> Any:
    actor = current_actor()
    assert actor is not None
    return actor


@blp.route("")
class Subscriptions(MethodView):
    @requires(*SUBSCRIBERS)
    @blp.arguments(SubscriptionQuerySchema, location="query")
    @blp.response(200, SubscriptionPageSchema)
    def get(self, query: dict[str, Any]) -> Any:
        """Your subscriptions (a regulator sees every one)."""
        return subscriptions.listing(_actor(), query["page"], query["page_size"])

    @requires(*SUBSCRIBERS)
    @blp.arguments(NewSubscriptionSchema)
    @blp.response(201, CreatedSubscriptionSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="A bad URL, follows or actions")
    def post(self, body: dict[str, Any]) -> Any:
        """Subscribe an endpoint to changes; the signing secret is in this answer only (and in the
        answer to a repeat under the same `Idempotency-Key`). Deliveries start with the changes
        recorded after it."""
        created = subscriptions.create(
            current_context(),
            deliveries.secret_box(current_app),
            current_app.config["LICENSING_WEBHOOKS"],
            body["url"],
            body["follows"],
            body.get("actions"),
        )
        record = {**asdict(created.subscription), "secret": created.secret}
        headers = {"Location": url_for(".Subscription", subscription_id=created.subscription.id)}
        if created.replayed:
            headers["Idempotent-Replayed"] = "true"
        return record, 201, headers


@blp.route("/<subscription_id>")
class Subscription(MethodView):
    @requires(*SUBSCRIBERS)
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id: str) -> SubscriptionView:
        """One subscription and its health."""
        return subscriptions.get(_actor(), subscription_id)

    @requires(*SUBSCRIBERS)
    @blp.response(204)
    def delete(self, subscription_id: str) -> None:
        """Stop deliveries and remove the subscription."""
        subscriptions.delete(_actor(), subscription_id)


@blp.route("/<subscription_id>/test")
class Test(MethodView):
    @requires(*SUBSCRIBERS)
    @blp.response(202, QueuedTestSchema, headers=DELIVERY_LOG)
    def post(self, subscription_id: str) -> Any:
        """Queue a signed test delivery (type `webhook.test`) for the delivery process, which
        sends it whatever the subscription's status; its outcome appears in the delivery log
        (`Location`) under the `webhook_id` answered. A test still queued is answered again."""
        queued = subscriptions.queue_test(_actor(), subscription_id)
        log = url_for(".Deliveries", subscription_id=queued.subscription)
        return {**asdict(queued), "deliveries": log}, 202, {"Location": log}


@blp.route("/<subscription_id>/deliveries")
class Deliveries(MethodView):
    @requires(*SUBSCRIBERS)
    @blp.response(200, DeliveryLogSchema)
    def get(self, subscription_id: str) -> Any:
        """The newest delivery attempts, newest first."""
        return {"items": subscriptions.delivery_log(_actor(), subscription_id)}


@blp.route("/<subscription_id>/redeliver")
class Redeliver(MethodView):
    @requires(*SUBSCRIBERS)
    @blp.arguments(RedeliverySchema)
    @blp.response(200, SubscriptionSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="A seq past the trail's end")
    def post(self, body: dict[str, Any], subscription_id: str) -> Any:
        """Deliver again every matching change from `from_seq` on, in order; a failing or disabled
        subscription resumes."""
        done = subscriptions.redeliver(current_context(), subscription_id, body["from_seq"])
        return done.subscription, 200, {"Idempotent-Replayed": "true"} if done.replayed else {}
