"""A regulator's decision to suspend, resume or revoke: reason code, reason, legal basis, and for a
suspension its end date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from licensing.domain.dates import add_months
from licensing.domain.errors import InvalidFields
from licensing.domain.lifecycle import SUSPEND
from licensing.domain.policy import Policy
from licensing.domain.text import text_problems

TEXT_LIMITS = {"reason": 2000, "legal_basis": 500}


@dataclass(frozen=True)
class Decision:
    reason_code: str
    reason: str
    legal_basis: str
    until: date | None = None


def check_decision(
    action: str, decision: Decision, policy: Policy, today: date, expires_on: date
) -> Decision:
    """The decision, normalised, or InvalidFields naming each field that breaks a rule."""
    errors: dict[str, list[str]] = {}
    codes = policy.reason_codes.get(action, ())
    if decision.reason_code not in codes:
        errors["reason_code"] = [
            f"Must be one of the reason codes for {action}: {', '.join(codes)}."
        ]
    for name in TEXT_LIMITS:
        if problems := text_problems(getattr(decision, name), TEXT_LIMITS[name]):
            errors[name] = problems
    if action == SUSPEND:
        if problem := _until_problem(decision.until, policy, today, expires_on):
            errors["until"] = [problem]
    elif decision.until is not None:
        errors["until"] = ["Only a suspension has an end date."]
    if errors:
        raise InvalidFields(errors)
    return replace(decision, **{name: getattr(decision, name).strip() for name in TEXT_LIMITS})


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
