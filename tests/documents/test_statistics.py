"""The register in numbers: the API, the page and its CSV agree with the register itself."""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.factories import API, act, issue
from tests.web.conftest import page


@pytest.fixture
def register(client: FlaskClient, regulator: dict[str, str], clock: Clock) -> list[str]:
    """Five licences in three regions, both subtypes, three standings; decisions in two months."""
    clock.advance(days=-31)  # 2026-02-07
    first = issue(client, regulator, capacity_mw="0.001", region="pavlodar")["number"]
    clock.advance(days=31)
    numbers = [
        first,
        issue(client, regulator, capacity_mw="12.5", region="pavlodar", subtype="II")["number"],
        issue(client, regulator, capacity_mw="0.007", region="almaty")["number"],
        issue(client, regulator, capacity_mw="100.333", region="astana")["number"],
        issue(client, regulator, capacity_mw="7", region="astana", subtype="II")["number"],
    ]
    assert act(client, regulator, numbers[1], "suspend").status_code == 200
    revoke = {"reason_code": "false_information"}
    assert (
        act(client, regulator, numbers[2], "revoke", _decision("revoke", **revoke)).status_code
        == 200
    )
    return numbers


def _decision(action: str, **overrides: str) -> dict[str, object]:
    from tests.factories import decision

    return decision(action, **overrides)


def _all_public(client: FlaskClient) -> list[dict[str, object]]:
    items, page_number = [], 1
    while True:
        answer = client.get(f"{API}/status?page={page_number}&page_size=2").get_json()
        items += answer["items"]
        if len(items) >= answer["total"]:
            return items
        page_number += 1


def test_the_numbers_agree_with_a_count_of_the_public_register(
    client: FlaskClient, register: list[str], auditor: dict[str, str]
) -> None:
    numbers = client.get(f"{API}/statistics").get_json()
    public = _all_public(client)
    assert numbers["licences"]["total"] == len(public) == 5
    standings = Counter(item["standing"] for item in public)
    assert {k: v for k, v in numbers["licences"]["by_standing"].items() if v} == standings
    assert {k: v for k, v in numbers["licences"]["by_region"].items() if v} == Counter(
        item["region"] for item in public
    )
    assert numbers["licences"]["by_subtype"] == Counter(item["subtype"] for item in public)
    assert numbers["as_of_seq"] == numbers["log_size"] == 7
    events = client.get(f"{API}/audit/events?page_size=100", headers=auditor).get_json()["items"]
    assert numbers["as_of_hash"] == events[-1]["hash"]  # the state counted, checkable in an export


def test_capacity_is_summed_exactly(client: FlaskClient, register: list[str]) -> None:
    capacity = client.get(f"{API}/statistics").get_json()["capacity_mw"]
    assert capacity["total"] == "119.841"
    assert capacity["by_region"]["pavlodar"] == "12.501"
    assert capacity["by_region"]["almaty"] == "0.007"
    assert capacity["by_region"]["shymkent"] == "0.000"
    assert capacity["by_subtype"] == {"I": "100.341", "II": "19.500"}
    assert sum(Decimal(v) for v in capacity["by_region"].values()) == Decimal(capacity["total"])


def test_decisions_are_counted_by_month_in_the_registrys_time_zone(
    client: FlaskClient, register: list[str]
) -> None:
    months = client.get(f"{API}/statistics").get_json()["decisions_per_month"]
    assert len(months) == 24
    assert months[-1]["month"] == "2026-03"
    assert months[0]["month"] == "2024-04"
    assert months[-1]["decisions"] == {"issue": 4, "suspend": 1, "resume": 0, "revoke": 1}
    assert months[-2] == {
        "month": "2026-02",
        "decisions": {"issue": 1, "suspend": 0, "resume": 0, "revoke": 0},
    }


def test_an_event_at_utc_evening_on_the_last_day_counts_in_the_next_month(
    client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    from datetime import UTC, datetime

    clock.moment = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)  # 1 March, 01:00 in Almaty
    issue(client, regulator, issued_on="2026-03-01")
    clock.moment = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    months = client.get(f"{API}/statistics").get_json()["decisions_per_month"]
    assert months[-1]["decisions"]["issue"] == 1
    assert months[-2]["decisions"]["issue"] == 0


def test_the_numbers_have_an_etag_that_changes_with_the_register(
    client: FlaskClient, register: list[str], regulator: dict[str, str]
) -> None:
    first = client.get(f"{API}/statistics")
    again = client.get(f"{API}/statistics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    act(client, regulator, register[1], "resume", _decision("resume"))
    changed = client.get(f"{API}/statistics", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.get_json()["licences"]["by_standing"]["suspended"] == 0


@pytest.mark.parametrize(
    ("language", "heading", "region"),
    [
        ("kk", "Тізілім сандармен", "Павлодар облысы"),
        ("ru", "Реестр в цифрах", "Павлодарская область"),
        ("en", "The register in numbers", "Pavlodar Region"),
    ],
)
def test_the_page_shows_each_number_in_a_table_beside_its_chart(
    client: FlaskClient, register: list[str], language: str, heading: str, region: str
) -> None:
    html = page(client, "/statistics", **{"Accept-Language": language}).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert f'<html lang="{language}">' in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 6
    assert html.count("<table>") == 4
    assert f'<th scope="row">{region}</th><td class="num">2</td>' in html
    assert "<script" not in html and "style=" not in html


def test_every_table_downloads_as_csv_with_the_same_numbers(
    client: FlaskClient, register: list[str]
) -> None:
    numbers = client.get(f"{API}/statistics").get_json()
    regions = client.get("/statistics/region.csv")
    assert regions.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(regions.get_data(as_text=True))))
    assert {row["region"]: row["licences"] for row in rows} == {
        k: str(v) for k, v in numbers["licences"]["by_region"].items()
    }
    assert {row["region"]: row["capacity_mw"] for row in rows} == numbers["capacity_mw"][
        "by_region"
    ]
    months = list(csv.DictReader(io.StringIO(client.get("/statistics/decisions.csv").text)))
    assert months[-1] == {
        "month": "2026-03",
        "issue": "4",
        "suspend": "1",
        "resume": "0",
        "revoke": "1",
    }
    for name in ("standing", "subtype"):
        assert client.get(f"/statistics/{name}.csv").status_code == 200


def test_an_unknown_table_is_a_page_not_found_in_the_readers_language(
    client: FlaskClient,
) -> None:
    html = page(client, "/statistics/owners.csv", 404, **{"Accept-Language": "ru"}).text
    assert '<html lang="ru">' in html
