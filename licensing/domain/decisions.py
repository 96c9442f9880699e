"""A decision: the act a status change rests on, as the law records it (the licensor's order or a
court's decision), with its own number and date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from licensing.domain.text import TextRule, normalise_text

LICENSOR, COURT = "licensor", "court"
DECIDED_BY = (LICENSOR, COURT)
COURT_ORDER = "court_order"  # the one reason code a court's decision goes with, and only with it

NUMBER_RULE = TextRule(64)


@dataclass(frozen=True)
class Decision:
    number: str
    date: date
    by: str

    def as_data(self) -> dict[str, str]:
        """The decision as an event's `data` records it."""
        return {"number": self.number, "date": self.date.isoformat(), "by": self.by}


def decision_problems(
    decision: Decision, reason_code: str, issued_on: date, today: date
) -> dict[str, list[str]]:
    """Each rule the decision breaks, keyed by its field as a client names it (`decision.date`)."""
    errors: dict[str, list[str]] = {}
    if problems := NUMBER_RULE.problems(decision.number):
        errors["decision.number"] = problems
    if decision.date > today:
        errors["decision.date"] = [f"Must not be in the future (today is {today.isoformat()})."]
    elif decision.date < issued_on:
        errors["decision.date"] = [
            f"Must not be before the licence was issued ({issued_on.isoformat()})."
        ]
    if decision.by not in DECIDED_BY:
        errors["decision.by"] = [f"Must be one of: {', '.join(DECIDED_BY)}."]
    elif (decision.by == COURT) != (reason_code == COURT_ORDER):
        errors["decision.by"] = [
            "A court's decision goes with the reason code court_order, and court_order only "
            "with a court's decision."
        ]
    return errors


def normalised(decision: Decision) -> Decision:
    """The decision as stored (call on one without problems)."""
    return replace(decision, number=normalise_text(decision.number))


def decision_from_data(data: dict[str, Any]) -> dict[str, str] | None:
    """The decision an event's data records, None for events written before decisions existed."""
    decision = data.get("decision")
    return dict(decision) if isinstance(decision, dict) else None
