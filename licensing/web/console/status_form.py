"""A status change as the console's forms take it: the reason from the catalogue, in the reader's
language, the decision it rests on, and for a suspension the end date within the legal window."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from licensing.domain.decisions import DECIDED_BY, Decision
from licensing.domain.errors import InvalidFields
from licensing.domain.lifecycle import sets_end_date
from licensing.domain.policy import Policy
from licensing.domain.reasons import CATALOGUE
from licensing.domain.status_changes import StatusChange, suspension_window
from licensing.web.console import forms
from licensing.web.pages import locale_code

FIELDS = (
    "reason_code", "reason", "legal_basis", "until", "decision_number", "decision_date",
    "decision_by",
)  # fmt: skip
BY = DECIDED_BY


@dataclass(frozen=True)
class ReasonChoice:
    code: str
    label: str
    article: str


def blank() -> dict[str, str]:
    return dict.fromkeys(FIELDS, "") | {"decision_by": BY[0]}


def reasons_for(action: str, policy: Policy) -> list[ReasonChoice]:
    """The reason codes active for `action`, labelled in the reader's language."""
    language = locale_code() or "en"
    return [
        ReasonChoice(code, CATALOGUE[code].label(language), CATALOGUE[code].article.cited(language))
        for code in policy.reason_codes.get(action, ())
        if code in CATALOGUE
    ]


def window(action: str, policy: Policy, today: date) -> tuple[date, date] | None:
    return suspension_window(policy, today) if sets_end_date(action) else None


def read(action: str, values: Mapping[str, str]) -> StatusChange:
    """The change the form describes, as typed; InvalidFields where a date is no date (the rules
    on it are the use case's)."""
    errors: dict[str, list[str]] = {}
    until = forms.day(values["until"], "until", errors) if sets_end_date(action) else None
    decided_on = forms.day(values["decision_date"], "decision.date", errors)
    if errors:
        raise InvalidFields(errors)
    assert decided_on is not None
    return StatusChange(
        reason_code=values["reason_code"],
        reason=values["reason"],
        legal_basis=values["legal_basis"],
        decision=Decision(
            number=values["decision_number"], date=decided_on, by=values["decision_by"]
        ),
        until=until,
    )
