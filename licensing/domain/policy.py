"""The configurable rules: licence term, suspension bounds, reason codes, local time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from licensing.domain.lifecycle import STATUS_ACTIONS
from licensing.domain.reasons import DEFAULT_REASON_CODES, reason_code_problems

LAW_IN_FORCE = date(2023, 4, 1)  # the Law "On Digital Assets": no licence is older


@dataclass(frozen=True)
class Policy:
    term_years: int = 3
    suspension_min_months: int = 1
    suspension_max_months: int = 6
    reason_codes: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: DEFAULT_REASON_CODES
    )
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Almaty"))
    issue_dates_from: date = LAW_IN_FORCE
    # four eyes: the status actions that are first a proposal a second officer approves, and how
    # long a proposal waits for that approval
    approval_required: frozenset[str] = frozenset()
    approval_window: timedelta = timedelta(hours=72)

    def __post_init__(self) -> None:
        if self.term_years < 1:
            raise ValueError("the licence term must be at least one year")
        if not 0 <= self.suspension_min_months <= self.suspension_max_months:
            raise ValueError("suspension bounds must satisfy 0 <= minimum <= maximum months")
        missing = set(STATUS_ACTIONS) - {a for a, codes in self.reason_codes.items() if codes}
        if missing:
            raise ValueError(f"no reason codes configured for {', '.join(sorted(missing))}")
        if unknown := sorted(self.approval_required - set(STATUS_ACTIONS)):
            raise ValueError(
                f"approval is required of actions the machine does not have: {', '.join(unknown)}"
                f" (its status actions: {', '.join(STATUS_ACTIONS)})"
            )
        if self.approval_window <= timedelta(0):
            raise ValueError("a proposal must wait for approval for some time")
        for action, codes in self.reason_codes.items():
            if problems := reason_code_problems(action, codes):
                raise ValueError(f"reason codes for {action}: {'; '.join(problems)}")

    def today(self, now: datetime) -> date:
        """The legal date in the registry's time zone at the instant `now`."""
        return now.astimezone(self.timezone).date()
