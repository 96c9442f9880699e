"""The deliveries in /metrics: attempts by outcome, and each subscription's lag and the age of
its oldest undelivered event."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.api.test_metrics import sample
from tests.changes.conftest import HOOKS, Receiver, deliver, subscribe
from tests.factories import bearer, issue


def test_metrics_show_outcomes_lag_and_the_oldest_undelivered_age(
    make_app: Any, tmp_path: Any, receiver: Receiver, clock: Any
) -> None:
    app: Flask = make_app(LICENSING_METRICS_ALLOW="127.0.0.0/8",
                          LICENSING_SECRET_KEY_FILE=str(tmp_path / "k"), **HOOKS)  # fmt: skip
    client, regulator, bank = app.test_client(), bearer(app, "regulator"), bearer(app, "subscriber")
    working = subscribe(client, bank, receiver)["id"]
    down = subscribe(client, bank, None, url="http://127.0.0.1:9/closed")["id"]
    issue(client, regulator)
    issue(client, regulator)
    deliver(app, rounds=3)
    clock.advance(minutes=10)

    text = client.get("/metrics").get_data(as_text=True)

    assert sample(text, "licensing_webhook_deliveries_total", outcome="delivered") == 2
    assert sample(text, "licensing_webhook_deliveries_total", outcome="failed") == 3
    assert sample(text, "licensing_subscription_lag", subscription=working) == 0
    assert sample(text, "licensing_subscription_lag", subscription=down) == 2
    assert (
        sample(text, "licensing_subscription_oldest_undelivered_seconds", subscription=down) == 600
    )
    assert (
        f'licensing_subscription_oldest_undelivered_seconds{{subscription="{working}"}}' not in text
    )
    assert sample(text, "licensing_subscriptions", status="failing") == 1
    assert sample(text, "licensing_subscriptions", status="active") == 1
