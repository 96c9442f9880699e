"""Console pages of webhook subscriptions: every subscription and its health, its delivery log,
and pausing or resuming one; for regulators."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from licensing.domain.roles import REGULATOR
from licensing.domain.webhooks import ACTIVE, DISABLED, FAILING, PAUSED, SubscriptionNotFound
from licensing.services import subscriptions
from licensing.web.console import paging, staff
from licensing.web.console.routes import PAGE_SIZE, blp
from licensing.web.console.staff import requires

CHANGES = {"pause": PAUSED, "resume": ACTIVE}
STATE_WORDS = {
    ACTIVE: _l("Active"),
    PAUSED: _l("Paused"),
    FAILING: _l("Failing: retries ran out"),
    DISABLED: _l("Disabled: the endpoint answered 410 Gone"),
}
OUTCOME_WORDS = {
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "gone": _l("Gone (410)"),
    "test": _l("Test delivered"),
}


def _render(template: str, **context: Any) -> str:
    return render_template(
        template, subscription_states=STATE_WORDS, delivery_outcomes=OUTCOME_WORDS, **context
    )


@blp.get("/subscriptions")
@requires(REGULATOR)
def subscription_list() -> str:
    found = subscriptions.health(paging.page_asked(), PAGE_SIZE)
    return _render("console/subscriptions.html", subscriptions=found,
                   paged=paging.numbered(found, ".subscription_list"))  # fmt: skip


@blp.get("/subscriptions/<subscription_id>")
@requires(REGULATOR)
def subscription(subscription_id: str) -> Any:
    actor = staff.context().actor
    try:
        shown = subscriptions.get(actor, subscription_id)
    except SubscriptionNotFound:
        abort(404)
    log = subscriptions.delivery_page(actor, subscription_id, paging.cursor_asked(), PAGE_SIZE)
    pager = paging.keyed(log, ".subscription", subscription_id=subscription_id, _anchor="log")
    return _render("console/subscription.html", subscription=shown, log=log, paged=pager)


@blp.post("/subscriptions/<subscription_id>/<change>")
@requires(REGULATOR)
def subscription_status(subscription_id: str, change: str) -> Response:
    if change not in CHANGES:
        abort(404)
    try:
        subscriptions.set_status(staff.context().actor, subscription_id, CHANGES[change])
    except SubscriptionNotFound:
        abort(404)
    if change == "pause":
        flash(_("The subscription is paused: nothing is delivered to it until it is resumed."))
    else:
        flash(_("The subscription is resumed: deliveries go on from its cursor, nothing skipped."))
    current_app.logger.info("subscription %s: %s", subscription_id, change)
    return redirect(url_for("console.subscription", subscription_id=subscription_id), code=303)
