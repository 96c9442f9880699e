"""`/metrics` for Prometheus, readable only by the addresses and token roles that
LICENSING_METRICS_ALLOW names; everyone else finds nothing there."""

from __future__ import annotations

from ipaddress import ip_address

from flask import Blueprint, Flask, Response, current_app, request

from licensing import metrics
from licensing.api.problems import problem
from licensing.config import MetricsAllow
from licensing.services import deliveries, readiness, tokens

blp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)
    # the pool is this process's own: count its checkouts into the shared gauge
    with app.app_context():
        readiness.watch_pool(
            metrics.POOL_SIZE.inc, metrics.POOL_IN_USE.inc, metrics.POOL_IN_USE.dec
        )


@blp.get("/metrics")
def scrape() -> Response:
    if not _allowed(current_app.config["LICENSING_METRICS_ALLOW"]):
        return problem(404)
    body = metrics.exposition(readiness.chain_head_seq, deliveries.figures)
    return Response(body, content_type=metrics.CONTENT_TYPE_LATEST)


def _allowed(allow: MetricsAllow) -> bool:
    if allow.networks and request.remote_addr:
        try:
            address = ip_address(request.remote_addr)
        except ValueError:
            address = None
        if address is not None and any(address in network for network in allow.networks):
            return True
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if allow.roles and scheme.lower() == "bearer" and secret:
        actor = tokens.authenticate(secret.strip())
        return actor is not None and actor.role in allow.roles
    return False
