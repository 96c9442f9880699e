"""The families of webhook figures read at scrape time."""

from __future__ import annotations

from types import SimpleNamespace

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from licensing.metrics import Deliveries, _family


def test_a_family_has_one_sample_per_value_labelled_with_its_key() -> None:
    family = _family("licensing_subscription_lag", "Lag", "subscription", {"a": 3, "b": 0})

    assert isinstance(family, GaugeMetricFamily)
    assert [(s.labels, s.value) for s in family.samples] == [
        ({"subscription": "a"}, 3),
        ({"subscription": "b"}, 0),
    ]


def test_deliveries_are_counted_and_subscriptions_gauged_by_their_label() -> None:
    figures = SimpleNamespace(
        outcomes={"delivered": 5, "failed": 1},
        statuses={"active": 2},
        lag={"7": 4},
        oldest={"7": 1.5},
    )

    families = list(Deliveries(lambda: figures).collect())

    assert [(type(f), f.name, [(s.labels, s.value) for s in f.samples]) for f in families] == [
        (
            CounterMetricFamily,
            "licensing_webhook_deliveries",
            [({"outcome": "delivered"}, 5), ({"outcome": "failed"}, 1)],
        ),
        (GaugeMetricFamily, "licensing_subscriptions", [({"status": "active"}, 2)]),
        (GaugeMetricFamily, "licensing_subscription_lag", [({"subscription": "7"}, 4)]),
        (
            GaugeMetricFamily,
            "licensing_subscription_oldest_undelivered_seconds",
            [({"subscription": "7"}, 1.5)],
        ),
    ]
