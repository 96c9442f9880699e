"""Replaying audit events into the register rows they must have produced (design, section 4): a
fold of the decider's `evolve` over the trail, event by event, with each refusal located."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import InvalidOperation
from typing import Any

from licensing.domain.decider import (
    STATE_FIELDS,
    LicenceEvent,
    LicenceState,
    evolve,
    shown,
)


class ReplayRefused(Exception):
    """An event that cannot follow the licence's events before it."""

    def __init__(self, seq: int, licence: str, problem: str) -> None:
        super().__init__(f"seq {seq}, licence {licence}: {problem}")
        self.seq = seq
        self.licence = licence
        self.problem = problem


# The register's columns that replay must reproduce: the state's fields, and the folded name
# that search reads.
_new_tuple = tuple.__new__
assert LicenceEvent._fields[:6] == ("licence", "action", "from_status", "to_status", "at", "data")
ROW_FIELDS = (*STATE_FIELDS[:2], "holder_name_folded", *STATE_FIELDS[2:])


class RegisterReplay:
    """Feed the whole trail's events in seq order; `licences` holds each licence as replayed."""

    def __init__(self) -> None:
        self.licences: dict[str, LicenceState] = {}

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
    ) -> LicenceEvent:  # fmt: skip
        """feed() for an event given by the keys a replay reads (a million times per verify);
        the event as the domain holds it."""
        try:
            # the event as the domain holds it (made as a plain tuple: the fields in order), its
            # instant as the trail wrote it
            event = _new_tuple(LicenceEvent, (number, action, before, after, at, data,
                                              None, None, None))  # fmt: skip
            self.licences[number] = evolve(self.licences.get(number), event)
        except (KeyError, TypeError, ValueError, InvalidOperation) as error:
            raise ReplayRefused(seq, number, _reason(error)) from None
        return event  # type: ignore[no-any-return]


def replay(events: Iterable[Mapping[str, Any]]) -> dict[str, LicenceState]:
    """Every licence the events (oldest first) make, by number."""
    register = RegisterReplay()
    for event in events:
        register.feed(event)
    return register.licences


def differences(replayed: LicenceState, row: Mapping[str, Any]) -> list[str]:
    """Where the register's row disagrees with the replay, one plain sentence per field."""
    found = []
    for name in ROW_FIELDS:
        expected, actual = getattr(replayed, name), row[name]
        if actual != expected:
            found.append(
                f"{name} is {shown(actual)} in the register but {shown(expected)} by its events"
            )
    return found


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"the event lacks {error.args[0]}"
    if isinstance(error, InvalidOperation):
        return "the event's capacity_mw is not a decimal"
    return str(error)
