"""Input at and past every bound the API has: a 4xx problem naming what was wrong, nothing written,
never a 5xx. One test per class of input, on whichever database the suite runs on."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import API, application, decision, issue, written

JSON = {"Content-Type": "application/json"}


def refused(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    if field is not None:
        assert field in body["errors"], body
    return body


@pytest.mark.parametrize(
    "query",
    [
        "page=99999999999999999999",
        "page=0",
        "page_size=101",
        "page=" + "9" * 5000,
        "page=1e3",
    ],
)
@pytest.mark.parametrize("path", ["/status", "/licences", "/audit/events"])
def test_integers_beyond_what_the_database_holds_are_refused(
    client: FlaskClient, regulator: dict[str, str], path: str, query: str
) -> None:
    field = query.split("=")[0]
    refused(client.get(f"{API}{path}?{query}", headers=regulator), 422, field)


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "2147483648"])
@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv"])
def test_after_seq_is_bounded_on_pages_and_streams(
    client: FlaskClient, regulator: dict[str, str], value: str, fmt: str
) -> None:
    response = client.get(f"{API}/audit/events?after_seq={value}&format={fmt}", headers=regulator)
    refused(response, 422, "after_seq")
    assert response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"issued_on": "9999-12-31"}, "issued_on"),
        ({"issued_on": "1900-01-01"}, "issued_on"),
        ({"issued_on": "2023-03-31"}, "issued_on"),
        ({"expires_on": "9999-12-31"}, "expires_on"),
        ({"issued_on": "+2026-01-01"}, "issued_on"),
        ({"issued_on": 20260101}, "issued_on"),
    ],
)
def test_dates_out_of_range_are_refused_before_any_arithmetic(
    app: Flask, client: FlaskClient, regulator: dict[str, str], overrides: Any, field: str
) -> None:
    response = client.post(f"{API}/licences", json=application(**overrides), headers=regulator)
    refused(response, 422, field)
    assert written(app) == (0, 0)


def test_issue_dates_start_when_the_law_came_into_force(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    licence = issue(client, regulator, issued_on="2023-04-01", expires_on="2026-04-01")
    assert licence["number"] == "DM-2023-000001"


def test_the_first_issue_date_is_a_setting(make_app: Any) -> None:
    from tests.factories import bearer

    app = make_app(LICENSING_ISSUE_DATES_FROM="2025-01-01")
    client = app.test_client()
    headers = bearer(app, "regulator")
    body = application(issued_on="2024-12-31", expires_on="2027-12-31")
    body = refused(client.post(f"{API}/licences", json=body, headers=headers), 422, "issued_on")
    assert "2025-01-01" in body["errors"]["issued_on"][0]


@pytest.mark.parametrize(
    "since",
    ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-13-01T00:00:00Z", "x" * 5000],
)
def test_times_out_of_range_are_refused(
    client: FlaskClient, regulator: dict[str, str], since: str
) -> None:
    for fmt in ("json", "ndjson"):
        response = client.get(
            f"{API}/audit/events", query_string={"since": since, "format": fmt}, headers=regulator
        )
        refused(response, 422, "since")


@pytest.mark.parametrize(
    "raw",
    [
        '{"capacity_mw": 1' + "0" * 5000 + "}",
        '{"capacity_mw": NaN}',
        '{"capacity_mw": Infinity}',
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 50 + "1" + "}" * 50,
        '{"holder_name": "a", "holder_name": "b"}',
        '{"holder_name": "\\ud800"',
        b'{"holder_name": "\xff"}',
    ],
)
def test_bodies_that_are_not_plain_json_documents_are_400(
    app: Flask, client: FlaskClient, regulator: dict[str, str], raw: str | bytes
) -> None:
    response = client.post(f"{API}/licences", data=raw, headers={**regulator, **JSON})
    body = refused(response, 400, "body")
    assert len(response.get_data()) < 2000, body
    assert written(app) == (0, 0)


def test_numbers_in_bodies_are_read_exactly_from_their_text(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    raw = json.dumps(application(capacity_mw="X")).replace('"X"', "12.345")
    response = client.post(f"{API}/licences", data=raw, headers={**regulator, **JSON})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["capacity_mw"] == "12.345"


@pytest.mark.parametrize(
    "capacity", ["١٢", "12,5", " 12", "1_000", "0x10", "1e2", "1e999999", True, [1]]
)
def test_capacity_takes_plain_ascii_decimals_only(
    app: Flask, client: FlaskClient, regulator: dict[str, str], capacity: Any
) -> None:
    response = client.post(
        f"{API}/licences", json=application(capacity_mw=capacity), headers=regulator
    )
    refused(response, 422, "capacity_mw")
    assert written(app) == (0, 0)


def test_a_body_of_many_unknown_keys_gets_a_short_answer(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    body = application(**{f"scan_{i:06d}_{'x' * 20}": "." for i in range(20_000)})
    response = client.post(f"{API}/licences", json=body, headers=regulator)
    problem = refused(response, 422)
    assert len(response.get_data()) < 10_000
    assert len(problem["errors"]) <= 20
    assert "more" in problem["detail"]
    assert written(app) == (0, 0)


def test_a_chunked_body_over_the_limit_is_413(
    make_app: Any,
) -> None:
    from tests.factories import bearer

    app = make_app(LICENSING_MAX_BODY_BYTES="1000")
    headers = bearer(app, "regulator")
    client = app.test_client()
    for size, status in ((5000, 413), (900, 422)):  # under the limit, the body is read whole
        response = client.post(
            f"{API}/licences",
            input_stream=io.BytesIO(b"{" + b" " * size + b"}"),
            headers={**headers, **JSON, "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
        refused(response, status)


@pytest.mark.parametrize(
    "text",
    [
        "a\x00b",
        "a\x1b[31mb",
        "\u202eLLP detsurT",
        "a\u2066b",
        "a\ud800b",
        "a\ufeffb",
        "\U000f0000",
        "x" * 2001,
        "   ",
    ],
)
def test_free_text_follows_one_rule_on_every_route(
    app: Flask, client: FlaskClient, regulator: dict[str, str], text: str
) -> None:
    number = issue(client, regulator)["number"]
    before = written(app)
    attempts = [
        ("post", f"{API}/licences", application(holder_name=text), "holder_name"),
        ("post", f"{API}/licences", application(site_address=text), "site_address"),
        ("post", f"{API}/licences/{number}/suspend", decision(reason=text), "reason"),
        ("post", f"{API}/licences/{number}/revoke", decision("revoke", legal_basis=text), None),
        ("patch", f"{API}/licences/{number}", {"holder_name": "Новое", "reason": text}, "reason"),
        ("patch", f"{API}/licences/{number}", {"region": "abai", "legal_basis": text}, None),
    ]
    for method, url, body, field in attempts:
        raw = json.dumps(body, ensure_ascii=True)  # lone surrogates travel as \ud800 escapes
        response = getattr(client, method)(
            url, data=raw, headers={**regulator, **JSON, "If-Match": '"1"'}
        )
        problem = refused(response, 422)
        assert field is None or field in problem["errors"], problem
    assert written(app) == before


@pytest.mark.parametrize("query", ["q=" + "a" * 50_000, "q=%E2%80%AE", "actor=" + "a" * 101])
def test_search_text_is_bounded(client: FlaskClient, regulator: dict[str, str], query: str) -> None:
    path = "/audit/events" if query.startswith("actor") else "/status"
    refused(client.get(f"{API}{path}?{query}", headers=regulator), 422, query.split("=")[0])


def test_multiline_reasons_keep_their_lines_and_names_keep_one(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    reason = "Первое.\r\nВторое.\tТретье."
    response = client.post(
        f"{API}/licences/{number}/suspend", json=decision(reason=reason), headers=regulator
    )
    assert response.status_code == 200
    history = client.get(f"{API}/licences/{number}/history", headers=regulator).get_json()
    assert history["items"][-1]["reason"] == "Первое.\nВторое.\tТретье."
    response = client.post(
        f"{API}/licences", json=application(holder_name="A\nB"), headers=regulator
    )
    refused(response, 422, "holder_name")


@pytest.mark.parametrize(
    "number", ["DM-2026-1", "dm-2026-000001", "DM-2026-000001x", "x" * 5000, "DM-２０２６-000001"]
)
def test_malformed_licence_numbers_are_not_found_before_the_database(
    client: FlaskClient, regulator: dict[str, str], number: str
) -> None:
    for path in (f"/status/{number}", f"/licences/{number}", f"/licences/{number}/history"):
        body = refused(client.get(f"{API}{path}", headers=regulator), 404)
        assert len(body["detail"]) < 100
