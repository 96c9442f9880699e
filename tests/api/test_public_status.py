from __future__ import annotations

import uuid
from collections.abc import Callable

import redis
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import API, OTHER_BIN, UNTIL, act, bearer, issue

PUBLIC_FIELDS = {
    "number", "holder_name", "region", "subtype", "status", "standing", "in_force", "status_since",
    "expires_on", "suspended_until",
}  # fmt: skip


def test_anyone_can_look_a_licence_up_and_sees_only_public_fields(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    response = client.get(f"{API}/status/{number}")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == PUBLIC_FIELDS
    assert (body["status"], body["in_force"], body["suspended_until"]) == ("issued", True, None)
    assert "holder_bin" not in response.get_data(as_text=True)


def test_a_suspension_shows_its_end(client: FlaskClient, regulator: dict[str, str]) -> None:
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend")
    body = client.get(f"{API}/status/{number}").get_json()
    assert (body["status"], body["in_force"], body["suspended_until"]) == (
        "suspended",
        False,
        UNTIL,
    )
    act(client, regulator, number, "revoke")
    body = client.get(f"{API}/status/{number}").get_json()
    assert (body["status"], body["suspended_until"]) == ("revoked", None)


def test_revoked_licences_stay_in_the_register(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "revoke")
    listed = client.get(f"{API}/status?status=revoked").get_json()
    assert [i["number"] for i in listed["items"]] == [number]


def test_the_register_searches_by_holder_region_and_status(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    a = issue(client, regulator)["number"]
    b = issue(
        client, regulator, holder_name="ТОО «Сарыарка»", region="karaganda", holder_bin=OTHER_BIN
    )["number"]
    act(client, regulator, b, "suspend")
    search = lambda q: [i["number"] for i in client.get(f"{API}/status?{q}").get_json()["items"]]  # noqa: E731
    assert search("q=экибастуз") == [a]
    assert search("q=САРЫАРКА") == [b]
    assert search("region=karaganda") == [b]
    assert search("status=suspended") == [b]
    assert search("") == [a, b]
    assert search(f"q={OTHER_BIN}") == []  # a BIN is not public, nor searchable publicly
    page = client.get(f"{API}/status?page_size=1&page=2").get_json()
    assert (page["total"], page["page"], [i["number"] for i in page["items"]]) == (2, 2, [b])


def test_an_unknown_number_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get(f"{API}/status/DM-2026-000404")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_public_routes_are_rate_limited_per_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(LICENSING_RATELIMIT_PUBLIC="3 per minute")
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"{API}/status").status_code == 200
    limited = client.get(f"{API}/status")
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    other = client.get(f"{API}/status", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    # token routes are not limited by the public rate
    headers = bearer(app, "auditor")
    assert all(client.get(f"{API}/licences", headers=headers).status_code == 200 for _ in range(5))


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_RATELIMIT_PUBLIC="2 per minute", LICENSING_TRUSTED_PROXIES="1")
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2"):
        headers = {"X-Forwarded-For": address}
        assert [client.get(f"{API}/status", headers=headers).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]


def test_rate_limit_counters_can_live_in_redis(make_app: Callable[..., Flask]) -> None:
    # shared storage is what lets several processes count one client together
    prefix = f"licensing-test-{uuid.uuid4().hex}"
    app = make_app(
        LICENSING_RATELIMIT_PUBLIC="2 per minute",
        LICENSING_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
        RATELIMIT_KEY_PREFIX=prefix,
    )
    client = app.test_client()
    assert [client.get(f"{API}/status").status_code for _ in range(3)] == [200, 200, 429]
    store = redis.Redis(host="127.0.0.1", port=6379)
    keys = store.keys(f"*{prefix}*")
    assert keys
    store.delete(*keys)
