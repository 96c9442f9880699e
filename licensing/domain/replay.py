"""Replaying audit events into the register rows they must have produced (design, section 4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from licensing.domain.licence import AMENDABLE, ISSUED_FIELDS, capacity_text, read_recorded
from licensing.domain.lifecycle import AMEND, ISSUE, STATUS_ACTIONS, SUSPEND
from licensing.domain.timestamps import format_utc, parse_utc


class ReplayRefused(Exception):
    """An event that cannot follow the licence's events before it."""

    def __init__(self, seq: int, licence: str, problem: str) -> None:
        super().__init__(f"seq {seq}, licence {licence}: {problem}")
        self.seq = seq
        self.licence = licence
        self.problem = problem


@dataclass
class ReplayedLicence:
    """A licences row as its events make it; field names and values as the row holds them."""

    number: str
    holder_name: str
    holder_name_folded: str
    holder_bin: str
    subtype: str
    site_address: str
    region: str
    capacity_mw: Decimal
    issued_on: date
    expires_on: date
    status: str
    status_since: datetime
    suspended_until: date | None
    version: int
    created_at: datetime
    updated_at: datetime


ROW_FIELDS = tuple(f.name for f in fields(ReplayedLicence))


class RegisterReplay:
    """Feed the whole trail's events in seq order; `licences` holds each licence as replayed."""

    def __init__(self) -> None:
        self.licences: dict[str, ReplayedLicence] = {}

    def feed(self, event: Mapping[str, Any]) -> None:
        """Apply one event to its licence; ReplayRefused when it cannot follow the ones before."""
        number = event["licence"]
        licence = self.licences.get(number)
        try:
            if event["action"] == ISSUE:
                if licence is not None:
                    raise ValueError("the licence is issued a second time")
                self.licences[number] = _issued(event)
            elif licence is None:
                raise ValueError(f"a {event['action']} event before the licence was issued")
            else:
                _apply(licence, event)
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            raise ReplayRefused(event["seq"], number, _reason(error)) from None


def replay(events: Iterable[Mapping[str, Any]]) -> dict[str, ReplayedLicence]:
    """Every licence the events (oldest first) make, by number."""
    register = RegisterReplay()
    for event in events:
        register.feed(event)
    return register.licences


def differences(replayed: ReplayedLicence, row: Mapping[str, Any]) -> list[str]:
    """Where the register's row disagrees with the replay, one plain sentence per field."""
    found = []
    for name in ROW_FIELDS:
        expected, actual = getattr(replayed, name), row[name]
        if actual != expected:
            found.append(
                f"{name} is {shown(actual)} in the register but {shown(expected)} by its events"
            )
    return found


def shown(value: Any) -> str:
    """A row value as the registry writes it, quoted where it is text."""
    if value is None:
        return "empty"
    if isinstance(value, datetime):
        return repr(format_utc(value))
    if isinstance(value, date):
        return repr(value.isoformat())
    if isinstance(value, Decimal):
        return repr(capacity_text(value))
    return repr(value)


def _issued(event: Mapping[str, Any]) -> ReplayedLicence:
    if event["from"] is not None:
        raise ValueError(f"an issue event moves from {event['from']!r}")
    data = event["data"]
    missing = [name for name in ISSUED_FIELDS if name not in data]
    if missing:
        raise ValueError(f"the issue event lacks {', '.join(missing)}")
    at = parse_utc(event["at"])
    issued = {name: read_recorded(name, data[name]) for name in ISSUED_FIELDS}
    return ReplayedLicence(
        number=event["licence"],
        **issued,
        holder_name_folded=issued["holder_name"].casefold(),
        status=event["to"],
        status_since=at,
        suspended_until=None,
        version=1,
        created_at=at,
        updated_at=at,
    )


def _apply(licence: ReplayedLicence, event: Mapping[str, Any]) -> None:
    action, data = event["action"], event["data"]
    if event["from"] != licence.status:
        raise ValueError(
            f"the {action} event moves from {event['from']!r} but the licence's events before it "
            f"leave it {licence.status!r}"
        )
    at = parse_utc(event["at"])
    if action in STATUS_ACTIONS:
        licence.status = event["to"]
        licence.status_since = at
        # the services set the suspension's end on suspend and clear it on every other move
        until = data.get("until") if action == SUSPEND else None
        licence.suspended_until = date.fromisoformat(until) if until is not None else None
    elif action == AMEND:
        for name in AMENDABLE:
            if name in data:
                _amend(licence, name, *data[name])
    else:
        raise ValueError(f"an action the register does not know: {action!r}")
    licence.version += 1
    licence.updated_at = at


def _amend(licence: ReplayedLicence, name: str, old: Any, new: Any) -> None:
    old, new = read_recorded(name, old), read_recorded(name, new)
    if getattr(licence, name) != old:
        raise ValueError(
            f"the amend event changes {name} from {shown(old)} but the licence's events before it "
            f"leave it {shown(getattr(licence, name))}"
        )
    setattr(licence, name, new)
    if name == "holder_name":
        licence.holder_name_folded = new.casefold()


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"the event lacks {error.args[0]}"
    if isinstance(error, InvalidOperation):
        return "the event's capacity_mw is not a decimal"
    return str(error)
