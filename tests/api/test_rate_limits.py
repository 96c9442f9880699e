"""One rate-limit budget per client address for all public routes; Retry-After only on 429."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask

from tests.factories import API, bearer, issue

OTHER_ADDRESS = {"REMOTE_ADDR": "10.0.0.9"}


@pytest.fixture
def address() -> Iterator[str]:
    """A client address of this test's own; only Redis keys naming it are deleted afterwards."""
    address = f"fd00::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    yield address
    store = redis.Redis(host="127.0.0.1", port=6379)
    if keys := store.keys(f"*{address}*"):
        store.delete(*keys)


def public_paths(app: Flask) -> list[str]:
    client = app.test_client()
    number = issue(client, bearer(app, "regulator"))["number"]
    return [
        f"{API}/status",
        f"{API}/status/{number}",
        f"{API}/status/{number}/statement",
        f"{API}/status/{number}/timeline",
        f"{API}/reason-codes",
        f"{API}/audit/checkpoint",
        "/.well-known/jwks.json",
    ]


def test_public_routes_draw_on_one_budget_per_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(LICENSING_RATELIMIT_PUBLIC="7 per minute")
    paths = public_paths(app)
    client = app.test_client()
    assert [client.get(path).status_code for path in paths] == [200] * 7
    for path in paths:
        refused = client.get(path)
        assert refused.status_code == 429, path
        assert refused.mimetype == "application/problem+json"
        assert refused.get_json()["status"] == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get(paths[0], environ_base=OTHER_ADDRESS).status_code == 200


def test_two_routes_exhaust_the_same_budget(make_app: Callable[..., Flask]) -> None:
    client = make_app(LICENSING_RATELIMIT_PUBLIC="2 per minute").test_client()
    assert client.get(f"{API}/audit/checkpoint").status_code == 200
    assert client.get("/.well-known/jwks.json").status_code == 200
    assert client.get(f"{API}/status").status_code == 429
    assert client.get(f"{API}/audit/checkpoint").status_code == 429


def test_retry_after_and_rate_headers_are_only_on_refusals(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(LICENSING_RATELIMIT_PUBLIC="1 per minute").test_client()
    allowed = client.get(f"{API}/status")
    assert allowed.status_code == 200
    assert "Retry-After" not in allowed.headers
    assert not [
        name for name, _ in allowed.headers.items() if name.lower().startswith("x-ratelimit")
    ]
    refused = client.get(f"{API}/status")
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_token_routes_do_not_spend_the_public_budget(make_app: Callable[..., Flask]) -> None:
    app = make_app(LICENSING_RATELIMIT_PUBLIC="1 per minute")
    client = app.test_client()
    headers = bearer(app, "auditor")
    assert all(client.get(f"{API}/licences", headers=headers).status_code == 200 for _ in range(3))
    assert client.get(f"{API}/status").status_code == 200


def test_the_shared_budget_is_one_counter_in_redis(
    make_app: Callable[..., Flask], address: str
) -> None:
    # shared storage is what lets several server processes count one client together
    app = make_app(
        LICENSING_RATELIMIT_PUBLIC="3 per minute",
        LICENSING_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
    )
    client = app.test_client()
    paths = [f"{API}/status", "/.well-known/jwks.json", f"{API}/audit/checkpoint"]
    environ = {"REMOTE_ADDR": address}
    assert [client.get(path, environ_base=environ).status_code for path in paths] == [200] * 3
    refused = client.get(f"{API}/status", environ_base=environ)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get(f"{API}/status", environ_base=OTHER_ADDRESS).status_code == 200
    store = redis.Redis(host="127.0.0.1", port=6379)
    (counter,) = store.keys(f"*{address}*")
    assert int(store.get(counter) or 0) >= 3
