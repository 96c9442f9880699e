"""The registry's one way to write an instant is strftime's, whatever the instant and its offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.domain.timestamps import format_utc, parse_utc

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31),
                    timezones=offsets))  # fmt: skip
def test_an_instant_is_written_as_strftime_writes_it_in_utc(moment: datetime) -> None:
    assert format_utc(moment) == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(st.datetimes(min_value=datetime(2002, 1, 1), max_value=datetime(2997, 12, 31),
                    timezones=offsets))  # fmt: skip
def test_an_instant_written_reads_back_the_same(moment: datetime) -> None:
    assert parse_utc(format_utc(moment)) == moment


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_utc(datetime(2026, 1, 1))
