"""One public budget per client address across gunicorn's workers (and so across hosts): with
LICENSING_RATELIMIT_STORAGE_URI on Redis the workers count in one place and the address gets
exactly its budget; with memory:// each worker counts on its own, and the address gets up to the
budget times the workers.

Each run draws from its own client address (somewhere in 127.0.0.0/8) in a Redis database of its
own, and deletes its counters afterwards. The budget does not depend on the database, so these
tests run once, in the pass without LICENSING_TEST_DATABASE_URL."""

from __future__ import annotations

import contextlib
import http.client
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import Server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        POSTGRES_URL is not None, reason="the budget is not the database's: runs in the SQLite pass"
    ),
]

REDIS = "redis://127.0.0.1:6379/11"
BUDGET = 12
WORKERS = 3
REQUESTS = 8 * BUDGET


@pytest.fixture
def address() -> Iterator[str]:
    """A client address of this test's own, and its counters removed from Redis afterwards."""
    chosen = f"127.{random.randrange(1, 255)}.{random.randrange(1, 255)}.{random.randrange(2, 255)}"
    yield chosen
    redis = pytest.importorskip("redis")
    with contextlib.suppress(redis.RedisError), redis.Redis.from_url(REDIS) as store:
        for key in store.scan_iter(match=f"*{chosen}*"):
            store.delete(key)


@pytest.fixture
def redis_up() -> None:
    redis = pytest.importorskip("redis")
    try:
        with redis.Redis.from_url(REDIS, socket_connect_timeout=1) as store:
            store.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")


def _spend(server: Server, address: str) -> list[int]:
    """REQUESTS public requests from `address`, eight at a time so every worker takes some."""
    host, port = server.url.removeprefix("http://").split(":")

    def one(_: int) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=10,
                                                source_address=(address, 0))  # fmt: skip
        try:
            connection.request("GET", "/api/v1/status")
            response = connection.getresponse()
            response.read()
            if response.status == 429:
                assert response.getheader("Retry-After")
            return response.status
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(REQUESTS)))


def test_with_redis_the_workers_share_one_budget_per_address(
    start_server: Callable[..., Server], address: str, redis_up: None
) -> None:
    server = start_server(
        workers=WORKERS,
        LICENSING_RATELIMIT_STORAGE_URI=REDIS,
        LICENSING_RATELIMIT_PUBLIC=f"{BUDGET} per minute",
    )
    answers = _spend(server, address)
    assert answers.count(200) == BUDGET
    assert answers.count(429) == REQUESTS - BUDGET


def test_in_memory_each_worker_counts_alone_and_the_budget_multiplies(
    start_server: Callable[..., Server], address: str
) -> None:
    server = start_server(
        workers=WORKERS,
        LICENSING_RATELIMIT_STORAGE_URI="memory://",
        LICENSING_RATELIMIT_PUBLIC=f"{BUDGET} per minute",
    )
    # gunicorn answers /readyz as soon as one worker has loaded the app: until the others have,
    # that one takes every request. Spent again from fresh addresses once the others are up too.
    for round_ in range(5):
        answers = _spend(server, address if round_ == 0 else _another(address, round_))
        if answers.count(200) > BUDGET:
            break
    assert set(answers) == {200, 429}
    assert BUDGET < answers.count(200) <= BUDGET * WORKERS


def _another(address: str, n: int) -> str:
    """Another client address of this test's own, beside `address`."""
    *first, last = address.split(".")
    return ".".join([*first, str((int(last) + n) % 254 + 1)])
