"""The registry's Prometheus metrics. Under gunicorn, `gunicorn.conf.py` sets
PROMETHEUS_MULTIPROC_DIR before any worker imports this, so every worker counts into shared files
and one scrape sees them all."""

from __future__ import annotations

import os
from collections.abc import Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "exposition"]

# Routes are URL rules (`/api/v1/status/<number>`), never raw paths: a path holds licence numbers
# and anything a scanner tries, which would make a series per request.
REQUESTS = Counter(
    "licensing_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "licensing_http_request_duration_seconds",
    "Time to answer an HTTP request, until its body starts",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
# The labelled series of each (method, route, status) met so far: looking them up by labels on
# every request takes the metric's lock and checks the labels again. As bounded as the series.
_REQUEST_SERIES: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}


def request_series(method: str, route: str, status: str) -> tuple[Counter, Histogram]:
    """The request counter and latency histogram of one method, route and status."""
    key = (method, route, status)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        series = _REQUEST_SERIES.setdefault(key, (REQUESTS.labels(*key), LATENCY.labels(*key)))
    return series


EVENTS = Counter(
    "licensing_audit_events_total", "Changes committed to the register, by action", ["action"]
)
RATE_LIMITED = Counter(
    "licensing_rate_limit_refusals_total", "Requests refused (429) by the public rate budget"
)
POOL_IN_USE = Gauge(
    "licensing_db_pool_connections_in_use",
    "Database connections checked out of the pools of all workers",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "licensing_db_pool_size",
    "Connections the pools of all workers keep (without overflow)",
    multiprocess_mode="livesum",
)


class ChainHead(Collector):
    """The chain head's sequence number, read from the database at scrape time, so every worker
    reports the same figure whoever wrote last."""

    def __init__(self, read_seq: object) -> None:
        self.read_seq = read_seq

    def collect(self):  # type: ignore[no-untyped-def]
        seq = self.read_seq()  # type: ignore[operator]
        up = GaugeMetricFamily("licensing_database_up", "1 when the scrape could read the database")
        up.add_metric([], 0 if seq is None else 1)
        yield up
        if seq is not None:
            yield GaugeMetricFamily(
                "licensing_chain_head_seq", "Sequence number of the last audit event", value=seq
            )


class Deliveries(Collector):
    """Webhook deliveries by outcome, subscriptions by status, and each live subscription's lag
    (the head's seq minus its cursor) and the age of its oldest undelivered event: read from the
    database at scrape time, as the delivery processes write it."""

    def __init__(self, read_figures: object) -> None:
        self.read_figures = read_figures

    def collect(self):  # type: ignore[no-untyped-def]
        figures = self.read_figures()  # type: ignore[operator]
        if figures is None:
            return
        yield _family(
            "licensing_webhook_deliveries",
            "Webhook delivery attempts, by outcome",
            "outcome",
            figures.outcomes,
            kind=CounterMetricFamily,
        )
        yield _family(
            "licensing_subscriptions",
            "Webhook subscriptions, by status",
            "status",
            figures.statuses,
        )
        yield _family(
            "licensing_subscription_lag",
            "Events after the subscription's cursor: the head's seq minus the cursor",
            "subscription",
            figures.lag,
        )
        yield _family(
            "licensing_subscription_oldest_undelivered_seconds",
            "Age of the oldest event after the subscription's cursor",
            "subscription",
            figures.oldest,
        )


def _family(
    name: str,
    help: str,
    label: str,
    values: Mapping[str, float],
    kind: type[GaugeMetricFamily] | type[CounterMetricFamily] = GaugeMetricFamily,
) -> GaugeMetricFamily | CounterMetricFamily:
    """A family with one label: one sample for each of `values`, labelled with its key."""
    family = kind(name, help, labels=[label])
    for key, value in values.items():
        family.add_metric([key], value)
    return family


def exposition(read_seq: object, read_deliveries: object | None = None) -> bytes:
    """Every metric, in Prometheus' text format: all workers' when running under gunicorn."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # noqa: TID251 (prometheus_client's own switch)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        shared = generate_latest(registry)
    else:
        shared = generate_latest(REGISTRY)
    scrape = CollectorRegistry()
    scrape.register(ChainHead(read_seq))
    if read_deliveries is not None:
        scrape.register(Deliveries(read_deliveries))
    return shared + generate_latest(scrape)


SIGN_IN_LOCKS = Counter(
    "licensing_sign_in_locks_total",
    "Console sign-in locks begun by repeated failures, by what is locked (login or address)",
    ["scope"],
)
SIGN_IN_RATE_LIMITED = Counter(
    "licensing_sign_in_rate_limit_refusals_total",
    "Requests to sign in, give a code or set up an account refused (429) by their rate budget",
)
