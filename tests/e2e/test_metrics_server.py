"""/metrics under gunicorn: one scrape counts the requests every worker served."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable

import pytest

from tests.api.test_metrics import sample
from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e


def test_one_scrape_sums_every_workers_requests(start_server: Callable[..., Server]) -> None:
    server = start_server(workers=2, LICENSING_METRICS_ALLOW="127.0.0.1")
    for _ in range(40):
        assert server.request("GET", "/healthz")[0] == 200
    # each request on a new connection: both workers serve some of them
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    served = sample(text, "licensing_http_requests_total", method="GET", route="/healthz",
                    status="200")  # fmt: skip
    assert served == 40
    assert sample(text, "licensing_chain_head_seq") == 0
