"""A status change's grounds (suspend, resume, revoke): the reason code, the reason in words, the
legal basis, the decision it rests on, and for a suspension its end date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from licensing.domain.dates import add_months
from licensing.domain.decisions import Decision, decision_problems, normalised
from licensing.domain.errors import InvalidFields
from licensing.domain.lifecycle import sets_end_date
from licensing.domain.policy import Policy
from licensing.domain.text import TextRule, normalise_text

TEXT_RULES = {
    "reason": TextRule(2000, multiline=True),
    "legal_basis": TextRule(500, multiline=True),
}


@dataclass(frozen=True)
class StatusChange:
    reason_code: str
    reason: str
    legal_basis: str
    # required: None only so that a caller who forgot it is told so, field by field
    decision: Decision | None = None
    until: date | None = None

    def event_data(self) -> dict[str, object]:
        """What the audit event's `data` records: the suspension's end, and the decision."""
        data: dict[str, object] = {}
        if self.until is not None:
            data["until"] = self.until.isoformat()
        if self.decision is not None:
            data["decision"] = self.decision.as_data()
        return data


def check_status_change(
    action: str,
    change: StatusChange,
    policy: Policy,
    today: date,
    issued_on: date,
    expires_on: date,
) -> StatusChange:
    """The change, normalised, or InvalidFields naming each field that breaks a rule."""
    errors: dict[str, list[str]] = {}
    codes = policy.reason_codes.get(action, ())
    if change.reason_code not in codes:
        errors["reason_code"] = [
            f"Must be one of the reason codes for {action}: {', '.join(codes)}."
        ]
    for name, rule in TEXT_RULES.items():
        if problems := rule.problems(getattr(change, name)):
            errors[name] = problems
    if sets_end_date(action):
        if problem := _until_problem(change.until, policy, today, expires_on):
            errors["until"] = [problem]
    elif change.until is not None:
        errors["until"] = ["Only a suspension has an end date."]
    if change.decision is None:
        errors["decision"] = ["A status change needs the decision it rests on."]
    else:
        errors.update(decision_problems(change.decision, change.reason_code, issued_on, today))
    if errors:
        raise InvalidFields(errors)
    return replace(
        change,
        decision=normalised(change.decision) if change.decision else None,
        **{name: normalise_text(getattr(change, name)) for name in TEXT_RULES},
    )


def suspension_window(policy: Policy, today: date) -> tuple[date, date]:
    """The earliest and latest end date a suspension decided `today` may have."""
    return (
        add_months(today, policy.suspension_min_months),
        add_months(today, policy.suspension_max_months),
    )


def _until_problem(until: date | None, policy: Policy, today: date, expires_on: date) -> str | None:
    if until is None:
        return "A suspension needs the date it ends."
    earliest, latest = suspension_window(policy, today)
    if not earliest <= until <= latest:
        return (
            f"Must be between {earliest.isoformat()} and {latest.isoformat()}: "
            f"a suspension lasts {policy.suspension_min_months} to "
            f"{policy.suspension_max_months} months."
        )
    if until > expires_on:
        return f"Must not be after the licence expires ({expires_on.isoformat()})."
    return None


def check_notes(reason: str | None, legal_basis: str | None) -> tuple[str | None, str | None]:
    """An amendment's optional reason and legal basis, normalised; InvalidFields when a given one
    breaks the text rule."""
    given = {"reason": reason, "legal_basis": legal_basis}
    errors = {
        name: problems
        for name, value in given.items()
        if value is not None and (problems := TEXT_RULES[name].problems(value))
    }
    if errors:
        raise InvalidFields(errors)
    return reason and normalise_text(reason), legal_basis and normalise_text(legal_basis)
