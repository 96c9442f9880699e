"""Replaying a licence's events gives the register row they made; events that cannot follow each
other are refused with their seq."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from licensing.domain.decider import LicenceState
from licensing.domain.replay import ROW_FIELDS, ReplayRefused, differences, replay

NUMBER = "DM-2026-000001"
ISSUED_AT = "2026-03-10T09:30:00.000000Z"


def event(seq: int, action: str, before: str | None, after: str, **data: Any) -> dict[str, Any]:
    """An event as exported; only the keys a replay reads matter here."""
    return {
        "seq": seq, "licence": NUMBER, "action": action, "from": before, "to": after,
        "reason_code": None, "reason": None, "legal_basis": None, "data": data,
        "actor": "alice", "role": "regulator", "request_id": f"r{seq}",
        "at": f"2026-03-{10 + seq:02d}T09:30:00.{seq:06d}Z", "prev": "0" * 64, "hash": "f" * 64,
    }  # fmt: skip


def issued(**overrides: Any) -> dict[str, Any]:
    data = {
        "holder_name": "ТОО «Экибастуз Цифровой Майнинг»", "holder_bin": "971240001315",
        "subtype": "I", "site_address": "г. Экибастуз, промзона", "region": "pavlodar",
        "capacity_mw": "12.5", "issued_on": "2026-03-10", "expires_on": "2029-03-10",
    }  # fmt: skip
    data.update(overrides)
    return event(0, "issue", None, "issued", **data)


def at(seq: int) -> datetime:
    return datetime(2026, 3, 10 + seq, 9, 30, 0, seq, tzinfo=UTC)


def test_an_issued_licence_replays_to_its_first_row() -> None:
    licence = replay([issued()])[NUMBER]
    assert licence.holder_name_folded == "тоо «экибастуз цифровой майнинг»"
    assert licence == LicenceState(
        number=NUMBER,
        holder_name="ТОО «Экибастуз Цифровой Майнинг»",
        holder_bin="971240001315",
        subtype="I",
        site_address="г. Экибастуз, промзона",
        region="pavlodar",
        capacity_mw=Decimal("12.5"),
        issued_on=date(2026, 3, 10),
        expires_on=date(2029, 3, 10),
        status="issued",
        status_since=at(0),
        suspended_until=None,
        version=1,
        created_at=at(0),
        updated_at=at(0),
    )


def test_status_changes_move_status_since_and_the_suspension_end() -> None:
    history = [
        issued(),
        event(1, "suspend", "issued", "suspended", until="2026-05-10"),
    ]
    suspended = replay(history)[NUMBER]
    assert (suspended.status, suspended.status_since, suspended.suspended_until) == (
        "suspended", at(1), date(2026, 5, 10)
    )  # fmt: skip
    history += [event(2, "resume", "suspended", "resumed")]
    resumed = replay(history)[NUMBER]
    assert (resumed.status, resumed.status_since, resumed.suspended_until) == (
        "resumed",
        at(2),
        None,
    )
    history += [
        event(3, "suspend", "resumed", "suspended", until="2026-06-01"),
        event(4, "revoke", "suspended", "revoked"),
    ]
    revoked = replay(history)[NUMBER]
    assert (revoked.status, revoked.suspended_until, revoked.version) == ("revoked", None, 5)
    assert (revoked.created_at, revoked.updated_at) == (at(0), at(4))


def test_an_amendment_changes_details_but_not_the_status() -> None:
    licence = replay(
        [
            issued(),
            event(
                1,
                "amend",
                "issued",
                "issued",
                holder_name=["ТОО «Экибастуз Цифровой Майнинг»", "ТОО «Новое Имя»"],
                capacity_mw=["12.5", "20.125"],
            ),
        ]
    )[NUMBER]
    assert (licence.holder_name, licence.holder_name_folded) == (
        "ТОО «Новое Имя»",
        "тоо «новое имя»",
    )
    assert licence.capacity_mw == Decimal("20.125")
    assert (licence.status, licence.status_since, licence.version) == ("issued", at(0), 2)
    assert licence.updated_at == at(1)


def test_data_keys_the_replay_does_not_use_are_ignored() -> None:
    decision = {"number": "17-ЛЦ/2026", "date": "2026-03-11", "by": "licensor"}
    plain = replay([issued(), event(1, "suspend", "issued", "suspended", until="2026-05-10")])
    richer = replay(
        [
            issued(photo_of_director=None),
            event(1, "suspend", "issued", "suspended", until="2026-05-10", decision=decision),
        ]
    )
    assert plain == richer


def test_licences_are_replayed_apart() -> None:
    other = {**issued(), "seq": 1, "licence": "DM-2026-000002"}
    licences = replay([issued(), other, event(2, "revoke", "issued", "revoked")])
    assert (licences[NUMBER].status, licences["DM-2026-000002"].status) == ("revoked", "issued")


@pytest.mark.parametrize(
    ("history", "words"),
    [
        ([event(1, "suspend", "issued", "suspended", until="2026-05-10")], "before the licence"),
        ([issued(), {**issued(), "seq": 1}], "issued a second time"),
        ([issued(), event(1, "resume", "suspended", "resumed")], "leave it 'issued'"),
        ([issued(capacity_mw="lots")], "capacity_mw"),
        ([{**issued(), "data": {"holder_name": "ТОО «Тест»"}}], "lacks holder_bin"),
        ([issued(), event(1, "amend", "issued", "issued", region=["almaty", "abai"])], "region"),
    ],
    ids=["event before issue", "issued twice", "wrong from", "bad decimal", "no fields",
         "amend from a value it never had"],
)  # fmt: skip
def test_events_that_cannot_follow_are_refused_with_their_seq(
    history: list[dict[str, Any]], words: str
) -> None:
    with pytest.raises(ReplayRefused) as refused:
        replay(history)
    assert refused.value.seq == history[-1]["seq"]
    assert refused.value.licence == NUMBER
    assert words in refused.value.problem


def row_of(licence: LicenceState) -> dict[str, Any]:
    """The register's row as it holds `licence`."""
    return {name: getattr(licence, name) for name in ROW_FIELDS}


def test_differences_name_each_field_with_both_values() -> None:
    licence = replay([issued(), event(1, "suspend", "issued", "suspended", until="2026-05-10")])[
        NUMBER
    ]
    row = row_of(licence._replace(status="issued", suspended_until=None, capacity_mw=Decimal("13")))
    assert differences(licence, row) == [
        "capacity_mw is '13' in the register but '12.5' by its events",
        "status is 'issued' in the register but 'suspended' by its events",
        "suspended_until is empty in the register but '2026-05-10' by its events",
    ]


def test_a_decimal_written_with_trailing_zeros_is_the_same_capacity() -> None:
    licence = replay([issued()])[NUMBER]
    assert differences(licence, row_of(licence._replace(capacity_mw=Decimal("12.500")))) == []


def test_status_changes_replay_the_same_with_or_without_a_decision() -> None:
    # events written before decisions were recorded have none; later ones carry one in `data`
    order = {"number": "17-ЛЦ/2026", "date": "2026-03-11", "by": "licensor"}
    suspended = {"until": "2026-05-10"}
    before = [
        issued(),
        event(1, "suspend", "issued", "suspended", **suspended),
        event(2, "resume", "suspended", "resumed"),
    ]
    after = [
        issued(),
        event(1, "suspend", "issued", "suspended", **suspended, decision=order),
        event(2, "resume", "suspended", "resumed", decision=order),
    ]
    assert replay(before) == replay(after)
    assert replay(after)[NUMBER].status == "resumed"
