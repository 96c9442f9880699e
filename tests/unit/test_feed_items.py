"""The change feed's rows as verification makes them (fastpaths/feed_items.py) are the rows the
write makes (services/changes.change_row), byte for byte, whatever the licence holds: any text
(quotes, backslashes, control and bidirectional characters), instants in any offset, near
midnight in the registry's time zone, terms begun or run out, suspensions overdue, amendments
seen and unseen, decisions or none."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from licensing.domain.decider import LicenceEvent, LicenceState
from licensing.domain.lifecycle import ACTIONS, STATES
from licensing.domain.policy import Policy
from licensing.domain.timestamps import format_utc
from licensing.fastpaths.feed_items import FeedRows
from licensing.services.changes import change_row

POLICIES = (Policy(), Policy(timezone=ZoneInfo("America/St_Johns")))
texts = st.text(max_size=12) | st.sampled_from(["ТОО «Тест»", 'a "b" \\ c', "\u202ex", "\x00\n"])
days = st.dates(min_value=date(2023, 1, 1), max_value=date(2031, 12, 31))
instants = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2031, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5)), ZoneInfo("Asia/Almaty")]),
)  # fmt: skip
states = st.builds(
    LicenceState,
    number=st.sampled_from(["DM-2026-000001", "DM-2026-000002"]) | texts,
    holder_name=texts, holder_bin=texts, subtype=st.sampled_from(["I", "II"]) | texts,
    site_address=texts, region=st.sampled_from(["pavlodar", "abai"]) | texts,
    capacity_mw=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(999), places=3),
    issued_on=days, expires_on=days, status=st.sampled_from(STATES), status_since=instants,
    suspended_until=st.none() | days, version=st.integers(1, 99), created_at=instants,
    updated_at=instants,
)  # fmt: skip
decisions = st.fixed_dictionaries({}, optional={
    "decision": st.dictionaries(st.sampled_from(["number", "date", "by"]), texts) | texts,
    "until": texts,
})  # fmt: skip


def reference(seq: int, event: LicenceEvent, before: Any, after: Any, policy: Policy) -> Any:
    row = change_row(seq, event, before, after, policy)
    if row is None:
        return None
    return (row["licence"], row["region"], row["holder_bin"], row["action"], row["item"])


@settings(max_examples=400)
@given(st.data())
def test_the_fast_rows_are_the_writes_rows(data: st.DataObject) -> None:
    before = data.draw(st.none() | states)
    if before is not None and data.draw(st.booleans()):  # an amendment, seen or not
        after = before._replace(**data.draw(st.fixed_dictionaries({}, optional={
            "site_address": texts, "holder_name": texts, "region": texts,
            "capacity_mw": st.just(Decimal("2.5")), "version": st.integers(1, 99),
            # no amendment changes these, but were one to, the two must still agree
            "issued_on": days, "expires_on": days, "suspended_until": st.none() | days,
            "status_since": instants,
        })))  # fmt: skip
        moves: tuple[Any, Any] = (before.status, before.status)
    else:
        after = data.draw(states)
        moves = (data.draw(st.none() | st.sampled_from(STATES)), after.status)
    at = data.draw(instants)
    event = LicenceEvent(
        data.draw(texts | st.just(after.number)), data.draw(st.sampled_from(ACTIONS) | texts),
        *moves, data.draw(st.just(at) | st.just(format_utc(at))), data.draw(decisions),
    )  # fmt: skip
    policy = data.draw(st.sampled_from(POLICIES))
    seq = data.draw(st.integers(1, 2**31 - 1))

    assert FeedRows(policy).row(seq, event, before, after) == reference(
        seq, event, before, after, policy
    )


def test_one_maker_serves_a_trail_of_events_alike() -> None:
    """Its kept texts never leak from one event into the next."""
    policy = Policy()
    rows = FeedRows(policy)
    base = LicenceState(
        "DM-2026-000001", "ТОО «Тест»", "971240001315", "I", "г. Павлодар", "pavlodar",
        Decimal("12.5"), date(2026, 1, 1), date(2029, 1, 1), "issued",
        datetime(2026, 1, 1, 4, tzinfo=UTC), None, 1, datetime(2026, 1, 1, 4, tzinfo=UTC),
        datetime(2026, 1, 1, 4, tzinfo=UTC),
    )  # fmt: skip
    before = None
    for n, name in enumerate(["ТОО «Тест»", "ТОО «Новое»", 'ТОО "Q"', "ТОО «Тест»"], start=1):
        after = base._replace(holder_name=name, version=n)
        at = datetime(2026, 1, n, 18, 30, tzinfo=UTC)  # past midnight in Almaty
        action, before_status = ("issue", None) if n == 1 else ("amend", "issued")
        event = LicenceEvent(base.number, action, before_status, "issued", format_utc(at), {})
        assert rows.row(n, event, before, after) == reference(n, event, before, after, policy)
        before = after
