from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from licensing.domain.errors import InvalidFields
from licensing.domain.licence import (
    Application,
    Details,
    capacity_text,
    check_amendment,
    check_application,
    format_number,
    is_overdue,
)
from licensing.domain.policy import Policy
from licensing.domain.standing import standing

TODAY = date(2026, 3, 10)
POLICY = Policy()


def application(**overrides: object) -> Application:
    values: dict[str, object] = {
        "holder_name": "  ТОО «Тест»  ",
        "holder_bin": "971240001315",
        "subtype": "II",
        "site_address": "г. Павлодар",
        "region": "pavlodar",
        "capacity_mw": Decimal("12.5"),
    }
    values.update(overrides)
    return Application(**values)  # type: ignore[arg-type]


def test_application_gets_a_three_year_term_from_today_by_default() -> None:
    checked = check_application(application(), POLICY, TODAY)
    assert checked.issued_on == TODAY
    assert checked.expires_on == date(2029, 3, 10)
    assert checked.holder_name == "ТОО «Тест»"


def test_a_term_starting_on_29_february_ends_on_28_february() -> None:
    checked = check_application(application(issued_on=date(2024, 2, 29)), POLICY, TODAY)
    assert checked.expires_on == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"holder_name": "   "}, "holder_name"),
        ({"holder_name": "x" * 301}, "holder_name"),
        ({"site_address": ""}, "site_address"),
        ({"holder_bin": "123"}, "holder_bin"),
        ({"holder_bin": "971240001316"}, "holder_bin"),
        ({"subtype": "III"}, "subtype"),
        ({"region": "mars"}, "region"),
        ({"capacity_mw": Decimal("0")}, "capacity_mw"),
        ({"capacity_mw": Decimal("-1")}, "capacity_mw"),
        ({"capacity_mw": Decimal("10000.001")}, "capacity_mw"),
        ({"capacity_mw": Decimal("1.0001")}, "capacity_mw"),
        ({"capacity_mw": Decimal("NaN")}, "capacity_mw"),
        ({"issued_on": date(2026, 3, 11)}, "issued_on"),
        ({"expires_on": date(2026, 3, 10)}, "expires_on"),
        ({"expires_on": date(2029, 3, 11)}, "expires_on"),
    ],
)
def test_each_broken_rule_names_its_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidFields) as refused:
        check_application(application(**overrides), POLICY, TODAY)
    assert list(refused.value.errors) == [field]


def test_all_broken_rules_are_reported_together() -> None:
    with pytest.raises(InvalidFields) as refused:
        check_application(
            application(holder_name="", region="x", capacity_mw=Decimal(0)), POLICY, TODAY
        )
    assert set(refused.value.errors) == {"holder_name", "region", "capacity_mw"}


def test_capacity_is_written_without_trailing_zeros() -> None:
    assert capacity_text(Decimal("12.500")) == "12.5"
    assert capacity_text(Decimal("10000")) == "10000"
    assert capacity_text(Decimal("0.125")) == "0.125"


def test_licence_numbers_are_zero_padded_per_year() -> None:
    assert format_number(2026, 123) == "DM-2026-000123"


@pytest.mark.parametrize(
    ("status", "expires_on", "expected"),
    [
        ("issued", TODAY, True),
        ("resumed", TODAY, True),
        ("issued", date(2026, 3, 9), False),
        ("suspended", date(2030, 1, 1), False),
        ("revoked", date(2030, 1, 1), False),
    ],
)
def test_in_force_means_issued_or_resumed_and_not_expired(
    status: str, expires_on: date, expected: bool
) -> None:
    in_force = standing(status, date(2025, 1, 1), expires_on, None, TODAY) == "in_force"
    assert in_force is expected


def test_a_suspension_is_overdue_only_after_its_last_day() -> None:
    assert not is_overdue("suspended", TODAY, TODAY)
    assert is_overdue("suspended", date(2026, 3, 9), TODAY)
    assert not is_overdue("resumed", date(2026, 3, 9), TODAY)


CURRENT = Details("ТОО «Тест»", "I", "г. Павлодар", "pavlodar", Decimal("12.5"))


def test_amendment_reports_only_what_really_changes() -> None:
    diff = check_amendment(CURRENT, {"capacity_mw": Decimal("12.500"), "region": "karaganda"})
    assert diff == {"region": ("pavlodar", "karaganda")}


@pytest.mark.parametrize("field", ["holder_bin", "issued_on", "expires_on", "status", "number"])
def test_identity_and_term_cannot_be_amended(field: str) -> None:
    with pytest.raises(InvalidFields) as refused:
        check_amendment(CURRENT, {field: "x"})
    assert refused.value.errors == {field: ["This field cannot be amended."]}


def test_amendment_values_follow_the_same_rules_as_an_application() -> None:
    with pytest.raises(InvalidFields) as refused:
        check_amendment(CURRENT, {"capacity_mw": Decimal("20000"), "holder_name": " "})
    assert set(refused.value.errors) == {"capacity_mw", "holder_name"}
