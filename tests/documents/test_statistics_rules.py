"""The months decisions are counted in: whole calendar months of the registry's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from licensing.domain.statistics import megawatts, recent_months

ALMATY = ZoneInfo("Asia/Almaty")


def test_the_months_run_back_from_this_one_across_a_new_year() -> None:
    months = recent_months(date(2027, 1, 15), ALMATY, count=3)
    assert [m.code for m in months] == ["2026-11", "2026-12", "2027-01"]
    assert months[-1].ends == datetime(2027, 1, 31, 19, 0, tzinfo=UTC)  # 1 February, 00:00 +05


def test_a_month_begins_at_local_midnight_whatever_the_offset_was_then() -> None:
    # Kazakhstan moved from UTC+6 to UTC+5 on 1 March 2024
    (february, march) = recent_months(date(2024, 3, 5), ALMATY, count=2)
    assert february.starts == datetime(2024, 1, 31, 18, 0, tzinfo=UTC)
    assert march.starts == february.ends == datetime(2024, 2, 29, 19, 0, tzinfo=UTC)


def test_capacity_in_thousandths_is_exact_megawatts() -> None:
    assert megawatts(119_841) == Decimal("119.841")
    assert str(megawatts(0)) == "0.000"
