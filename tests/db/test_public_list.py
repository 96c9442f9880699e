"""The public register's pages read in one statement are the pages read in one snapshot, and a
total kept from before a change is never shown after it."""

from __future__ import annotations

import itertools

from flask import Flask

from licensing.domain.standing import STANDINGS
from licensing.services import public
from tests.conftest import Clock
from tests.factories import API, act, bearer, decision, issue

FILTERS = [
    (None, None, None, None, None),
    ("майнинг", None, None, None, None),
    ("100%_", None, None, None, None),  # wildcards taken literally
    (None, "abai", None, None, None),
    (None, None, "II", None, None),
    (None, None, None, "suspended", None),
    ("цифров", "pavlodar", "I", None, "in_force"),
    *((None, None, None, None, word) for word in STANDINGS),
]


def _register(app: Flask) -> None:
    client = app.test_client()
    regulator = bearer(app, "regulator")
    numbers = []
    for region, subtype, name in itertools.product(
        ("abai", "pavlodar"),
        ("I", "II"),
        ("ТОО «Экибастуз Цифровой Майнинг»", "ТОО «100%_Хэш»", "АО «Север»"),
    ):
        numbers.append(issue(client, regulator, region=region, subtype=subtype, holder_name=name))
    issue(client, regulator, issued_on="2025-01-10", expires_on="2026-05-01")
    for number, action in zip(
        (n["number"] for n in numbers), ("suspend", "revoke", "suspend", "suspend"), strict=False
    ):
        assert act(client, regulator, number, action).status_code == 200
    overdue = numbers[-1]["number"]
    until = decision(until="2026-04-15")
    assert act(client, regulator, overdue, "suspend", until).status_code == 200


def test_a_page_read_at_once_is_the_page_read_in_a_snapshot(app: Flask, clock: Clock) -> None:
    _register(app)
    clock.advance(days=60)  # past the suspension's end and the short licence's term
    with app.app_context():
        today = app.config["LICENSING_POLICY"].today(clock.now())
        shown = 0
        for filters, order, (page, size) in itertools.product(
            FILTERS, (None, *public.ORDERS), ((1, 3), (2, 3), (1, 20), (5, 3), (9, 2))
        ):
            expected = public._search_in_snapshot(today, filters, order, page, size)
            got = public._search_at_once(today, filters, order, page, size)
            if not expected[0]:
                assert got is None, (filters, order, page)
                continue
            # once counted, or when the page tells its total, the page is read in one statement
            assert got == expected, (filters, order, page, size)
            shown += len(got[0])
        assert shown > 100


def test_a_total_counted_before_a_change_is_never_shown_after_it(app: Flask) -> None:
    client = app.test_client()
    regulator = bearer(app, "regulator")
    for _ in range(4):
        issue(client, regulator)

    def total() -> int:
        return client.get(f"{API}/status?page_size=2").get_json()["total"]

    assert [total(), total()] == [4, 4]  # the second from the kept count
    number = issue(client, regulator)["number"]
    assert total() == 5
    assert act(client, regulator, number, "suspend").status_code == 200
    standing = f"{API}/status?page_size=1&standing=in_force"
    assert client.get(standing).get_json()["total"] == 4
    assert client.get(standing).get_json()["total"] == 4


def test_the_day_of_a_standing_is_bound_at_each_read(app: Flask, clock: Clock) -> None:
    client = app.test_client()
    regulator = bearer(app, "regulator")
    issue(client, regulator, issued_on="2025-01-10", expires_on="2026-05-01")
    issue(client, regulator)

    def count(word: str) -> int:
        return len(client.get(f"{API}/status?standing={word}").get_json()["items"])

    assert (count("in_force"), count("expired")) == (2, 0)
    clock.advance(days=60)  # the same statement, another day
    assert (count("in_force"), count("expired")) == (1, 1)
