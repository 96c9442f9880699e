from __future__ import annotations

from datetime import date

import pytest

from licensing.domain.decisions import COURT, LICENSOR, Decision
from licensing.domain.errors import InvalidFields
from licensing.domain.policy import Policy
from licensing.domain.status_changes import StatusChange, check_status_change, suspension_window

TODAY = date(2026, 3, 10)
ISSUED = date(2026, 1, 15)
FAR = date(2030, 1, 1)
POLICY = Policy()
ORDER = Decision(" 17-ЛЦ/2026 ", TODAY, LICENSOR)


def decision(**overrides: object) -> StatusChange:
    values: dict[str, object] = {
        "reason_code": "violation_found",
        "reason": " Превышение квоты ",
        "legal_basis": "ст. 9",
        "decision": ORDER,
        "until": date(2026, 5, 10),
    }
    values.update(overrides)
    return StatusChange(**values)  # type: ignore[arg-type]


def check_decision(
    action: str, change: StatusChange, policy: Policy, today: date, expires_on: date
) -> StatusChange:
    return check_status_change(action, change, policy, today, ISSUED, expires_on)


def test_a_lawful_suspension_is_normalised() -> None:
    checked = check_decision("suspend", decision(), POLICY, TODAY, FAR)
    assert checked.reason == "Превышение квоты"


def test_the_suspension_window_is_one_to_six_calendar_months() -> None:
    assert suspension_window(POLICY, TODAY) == (date(2026, 4, 10), date(2026, 9, 10))
    assert suspension_window(POLICY, date(2026, 8, 31)) == (date(2026, 9, 30), date(2027, 2, 28))


@pytest.mark.parametrize("until", [date(2026, 4, 10), date(2026, 9, 10), date(2026, 6, 1)])
def test_until_on_or_inside_the_bounds_is_accepted(until: date) -> None:
    check_decision("suspend", decision(until=until), POLICY, TODAY, FAR)


@pytest.mark.parametrize(
    "until", [None, date(2026, 3, 1), TODAY, date(2026, 4, 9), date(2026, 9, 11)]
)
def test_until_missing_past_or_outside_the_term_is_refused(until: date | None) -> None:
    with pytest.raises(InvalidFields) as refused:
        check_decision("suspend", decision(until=until), POLICY, TODAY, FAR)
    assert list(refused.value.errors) == ["until"]


def test_a_suspension_cannot_outlast_the_licence() -> None:
    with pytest.raises(InvalidFields) as refused:
        check_decision("suspend", decision(), POLICY, TODAY, date(2026, 5, 1))
    assert "expires" in refused.value.errors["until"][0]


def test_bounds_follow_the_policy() -> None:
    short = Policy(suspension_min_months=0, suspension_max_months=1)
    check_decision("suspend", decision(until=TODAY), short, TODAY, FAR)
    with pytest.raises(InvalidFields):
        check_decision("suspend", decision(), short, TODAY, FAR)


@pytest.mark.parametrize(
    ("action", "code"),
    [("suspend", "violation_remedied"), ("resume", "violation_found"), ("revoke", "nonsense")],
)
def test_reason_codes_are_per_action(action: str, code: str) -> None:
    until = date(2026, 5, 10) if action == "suspend" else None
    with pytest.raises(InvalidFields) as refused:
        check_decision(action, decision(reason_code=code, until=until), POLICY, TODAY, FAR)
    assert list(refused.value.errors) == ["reason_code"]


def test_configured_reason_codes_replace_the_defaults() -> None:
    policy = Policy(
        reason_codes={
            "suspend": ("false_information",),
            "resume": ("holder_request",),
            "revoke": ("false_information",),
        }
    )
    check_decision("suspend", decision(reason_code="false_information"), policy, TODAY, FAR)
    with pytest.raises(InvalidFields):
        check_decision("suspend", decision(), policy, TODAY, FAR)


def test_the_decision_is_normalised_and_recorded_in_the_event_data() -> None:
    checked = check_decision("suspend", decision(), POLICY, TODAY, FAR)
    assert checked.decision == Decision("17-ЛЦ/2026", TODAY, LICENSOR)
    assert checked.event_data() == {
        "until": "2026-05-10",
        "decision": {"number": "17-ЛЦ/2026", "date": "2026-03-10", "by": "licensor"},
    }
    resumed = check_decision(
        "resume", decision(reason_code="violation_remedied", until=None), POLICY, TODAY, FAR
    )
    assert set(resumed.event_data()) == {"decision"}


@pytest.mark.parametrize(
    ("order", "field"),
    [
        (None, "decision"),
        (Decision("17-ЛЦ/2026", date(2026, 3, 11), LICENSOR), "decision.date"),
        (Decision("17-ЛЦ/2026", date(2026, 1, 14), LICENSOR), "decision.date"),
        (Decision("", TODAY, LICENSOR), "decision.number"),
        (Decision("x" * 65, TODAY, LICENSOR), "decision.number"),
        (Decision("17\u202e-ЛЦ", TODAY, LICENSOR), "decision.number"),
        (Decision("17-ЛЦ/2026", TODAY, "ministry"), "decision.by"),
        (Decision("17-ЛЦ/2026", TODAY, COURT), "decision.by"),
    ],
)
def test_a_decision_breaking_a_rule_is_refused_by_name(order: Decision | None, field: str) -> None:
    with pytest.raises(InvalidFields) as refused:
        check_decision("suspend", decision(decision=order), POLICY, TODAY, FAR)
    assert list(refused.value.errors) == [field]


def test_a_decision_on_the_issue_day_or_today_is_accepted() -> None:
    for day in (ISSUED, TODAY):
        check_decision(
            "suspend", decision(decision=Decision("1", day, LICENSOR)), POLICY, TODAY, FAR
        )


def test_a_court_order_needs_a_courts_decision_and_only_it() -> None:
    court = Decision("2-123/2026", TODAY, COURT)
    check_decision("revoke", decision(reason_code="court_order", decision=court, until=None),
                   POLICY, TODAY, FAR)  # fmt: skip
    with pytest.raises(InvalidFields) as refused:
        check_decision(
            "revoke", decision(reason_code="court_order", until=None), POLICY, TODAY, FAR
        )
    assert list(refused.value.errors) == ["decision.by"]


def test_only_a_suspension_has_an_end_date() -> None:
    with pytest.raises(InvalidFields) as refused:
        check_decision("resume", decision(reason_code="violation_remedied"), POLICY, TODAY, FAR)
    assert list(refused.value.errors) == ["until"]


@pytest.mark.parametrize("field", ["reason", "legal_basis"])
def test_reason_and_legal_basis_are_required_text(field: str) -> None:
    with pytest.raises(InvalidFields) as refused:
        check_decision("suspend", decision(**{field: "  "}), POLICY, TODAY, FAR)
    assert list(refused.value.errors) == [field]
