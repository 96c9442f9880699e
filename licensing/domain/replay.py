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
_STATUS_ACTIONS = frozenset(STATUS_ACTIONS)


class RegisterReplay:
    """Feed the whole trail's events in seq order; `licences` holds each licence as replayed."""

    def __init__(self) -> None:
        self.licences: dict[str, ReplayedLicence] = {}

    def feed(self, event: Mapping[str, Any]) -> None:
        """Apply one event to its licence; ReplayRefused when it cannot follow the ones before."""
        try:
            moves = (event["action"], event["from"], event["to"], event["at"], event["data"])
        except KeyError as error:
            raise ReplayRefused(event["seq"], event["licence"], _reason(error)) from None
        self.apply(event["seq"], event["licence"], *moves)

    def apply(
        self, seq: int, number: str, action: str, before: str | None, after: str, at: str,
        data: Mapping[str, Any],
    ) -> None:  # fmt: skip
        """feed() for an event given by the keys a replay reads (a million times per verify)."""
        licence = self.licences.get(number)
        try:
            if action == ISSUE:
                if licence is not None:
                    raise ValueError("the licence is issued a second time")
                self.licences[number] = _issued(number, before, after, at, data)
            elif licence is None:
                raise ValueError(f"a {action} event before the licence was issued")
            else:
                _apply(licence, action, before, after, at, data)
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            raise ReplayRefused(seq, number, _reason(error)) from None


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


def _issued(
    number: str, before: str | None, after: str, at: str, data: Mapping[str, Any]
) -> ReplayedLicence:
    if before is not None:
        raise ValueError(f"an issue event moves from {before!r}")
    missing = [name for name in ISSUED_FIELDS if name not in data]
    if missing:
        raise ValueError(f"the issue event lacks {', '.join(missing)}")
    moment = parse_utc(at)
    issued = {name: read_recorded(name, data[name]) for name in ISSUED_FIELDS}
    return ReplayedLicence(
        number=number,
        **issued,
        holder_name_folded=issued["holder_name"].casefold(),
        status=after,
        status_since=moment,
        suspended_until=None,
        version=1,
        created_at=moment,
        updated_at=moment,
    )


def _apply(
    licence: ReplayedLicence, action: str, before: str | None, after: str, at: str,
    data: Mapping[str, Any],
) -> None:  # fmt: skip
    if before != licence.status:
        raise ValueError(
            f"the {action} event moves from {before!r} but the licence's events before it "
            f"leave it {licence.status!r}"
        )
    moment = parse_utc(at)
    if action in _STATUS_ACTIONS:
        licence.status = after
        licence.status_since = moment
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
    licence.updated_at = moment


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
