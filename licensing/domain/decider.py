"""A licence as a decider: its state, the commands a regulator gives, and the two rules every
writer, verifier and test shares. `decide` checks a command against the state and says what
happened (an event, or a refusal); `evolve` is the only code that knows what an event does to a
licence. The register is the fold of `evolve` over the trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from licensing.domain import lifecycle
from licensing.domain.chain import seal
from licensing.domain.errors import VersionMismatch
from licensing.domain.licence import (
    AMENDABLE,
    ISSUED_FIELDS,
    Application,
    Details,
    capacity_text,
    check_amendment,
    check_application,
    issue_record,
    read_recorded,
    recorded,
)
from licensing.domain.lifecycle import AMEND, ISSUE
from licensing.domain.policy import Policy
from licensing.domain.status_changes import StatusChange, check_notes, check_status_change
from licensing.domain.timestamps import format_utc, parse_utc

# A request's condition on the licence's version (HTTP's If-Match, a form's hidden version):
# None when it names none; otherwise the licence must be at one of these versions, and an empty
# set (a condition nothing can meet) refuses every one.
Versions = frozenset[int] | None


class LicenceState(NamedTuple):
    """A licence as its events have made it; the register's row holds exactly this. (A named
    tuple: replay makes one per event, a million per verify, and a tuple is made fastest.)"""

    number: str
    holder_name: str
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

    @property
    def holder_name_folded(self) -> str:
        """The name casefolded, as search compares it (SQLite's lower() folds ASCII only)."""
        return self.holder_name.casefold()

    @property
    def details(self) -> Details:
        return Details(**{name: getattr(self, name) for name in _DETAILS})


STATE_FIELDS = LicenceState._fields
_INDEX = {name: i for i, name in enumerate(STATE_FIELDS)}
_ENDS = lifecycle.ENDS
_new_tuple = tuple.__new__  # a named tuple from its values, without the keyword plumbing
_VERSION, _UPDATED_AT = _INDEX["version"], _INDEX["updated_at"]
# the fields a status move makes anew, in order (evolve spells them out: replay makes a million)
_STATUS = _INDEX["status"]
assert STATE_FIELDS[_STATUS:] == (
    "status",
    "status_since",
    "suspended_until",
    "version",
    "created_at",
    "updated_at",
)
_DETAILS = tuple(f.name for f in fields(Details))


class LicenceEvent(NamedTuple):
    """What happened to one licence: the audit event's content before it is chained."""

    licence: str
    action: str
    from_status: str | None
    to_status: str
    at: datetime | str  # as the trail writes it (ISO 8601, Z) when read back from it
    data: Mapping[str, Any] = MappingProxyType({})
    reason_code: str | None = None
    reason: str | None = None
    legal_basis: str | None = None


# --- the commands ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """Issue a licence under `number` (the next serial of its issue year) on `application`."""

    number: str
    application: Application


@dataclass(frozen=True)
class Amend:
    """Change a licence's details; `changes` names only the fields to change."""

    changes: Mapping[str, Any]
    reason: str | None = None
    legal_basis: str | None = None
    expected_versions: Versions = None


@dataclass(frozen=True)
class ChangeStatus:
    """Take one of the machine's status actions, on the grounds and the decision `change` gives."""

    action: str
    change: StatusChange
    expected_versions: Versions = None
    # four eyes: who proposed it and who approved it, recorded in the event's data (None: an
    # action taken by one officer, as it always was)
    approval: Mapping[str, str] | None = None


Command = Issue | Amend | ChangeStatus


# --- decide -----------------------------------------------------------------------------------


def decide(
    state: LicenceState | None, command: Command, policy: Policy, now: datetime
) -> LicenceEvent | None:
    """The event `command` makes of `state` at the instant `now`: None when it changes nothing (an
    amendment to the same values); a DomainError when the rules refuse it."""
    today = policy.today(now)
    if isinstance(command, Issue):
        return _issue(command, policy, today, now)
    assert state is not None, "a command on a licence needs the licence"
    expect_version(state.version, command.expected_versions)
    if isinstance(command, Amend):
        return _amendment(state, command, now)
    return _change_status(state, command, policy, today, now)


def expect_version(version: int, expected: Versions) -> None:
    """VersionMismatch unless `version` meets the request's condition."""
    if expected is not None and version not in expected:
        raise VersionMismatch(version)


def _issue(command: Issue, policy: Policy, today: date, now: datetime) -> LicenceEvent:
    application = check_application(command.application, policy, today)
    return LicenceEvent(
        licence=command.number,
        action=ISSUE,
        from_status=None,
        to_status=lifecycle.ISSUED,
        at=now,
        data=issue_record(application),
    )


def _amendment(state: LicenceState, command: Amend, now: datetime) -> LicenceEvent | None:
    lifecycle.next_status(state.status, AMEND)
    diff = check_amendment(state.details, command.changes)
    reason, legal_basis = check_notes(command.reason, command.legal_basis)
    if not diff:
        return None
    return LicenceEvent(
        licence=state.number,
        action=AMEND,
        from_status=state.status,
        to_status=state.status,
        at=now,
        data={
            name: [recorded(name, old), recorded(name, new)] for name, (old, new) in diff.items()
        },
        reason=reason,
        legal_basis=legal_basis,
    )


def _change_status(
    state: LicenceState, command: ChangeStatus, policy: Policy, today: date, now: datetime
) -> LicenceEvent:
    action = command.action
    if not lifecycle.is_status_action(action):
        raise ValueError(f"{action!r} is not a status action")
    new_status = lifecycle.next_status(state.status, action)
    change = check_status_change(
        action, command.change, policy, today, state.issued_on, state.expires_on
    )
    return LicenceEvent(
        licence=state.number,
        action=action,
        from_status=state.status,
        to_status=new_status,
        at=now,
        data={**change.event_data(), **(command.approval or {})},
        reason_code=change.reason_code,
        reason=change.reason,
        legal_basis=change.legal_basis,
    )


# --- evolve -----------------------------------------------------------------------------------


class EventRefused(ValueError):
    """An event that cannot follow the licence's events before it."""


def evolve(state: LicenceState | None, event: LicenceEvent) -> LicenceState:
    """The licence after `event`. The only rule of what an event does: the write path stores its
    result, replay folds it over the trail. EventRefused (or the KeyError, TypeError, ValueError
    of a malformed `data`) when the event cannot follow `state`."""
    action, data = event.action, event.data
    if action == ISSUE:
        if state is not None:
            raise EventRefused("the licence is issued a second time")
        return _issued(event)
    if state is None:
        raise EventRefused(f"a {action} event before the licence was issued")
    if event.from_status != state.status:
        raise EventRefused(
            f"the {action} event moves from {event.from_status!r} but the licence's events "
            f"before it leave it {state.status!r}"
        )
    at = instant(event.at)
    ends = _ENDS.get(action)
    if ends is not None:  # a status move: the details stay; the status and its dates move on
        # a move whose decision sets an end date records it; every other move clears it
        until = data.get("until") if ends else None
        moved = (
            event.to_status,  # status
            at,  # status_since
            date.fromisoformat(until) if until is not None else None,  # suspended_until
            state.version + 1,
            state.created_at,
            at,  # updated_at
        )
        return _new_tuple(LicenceState, state[:_STATUS] + moved)
    if action == AMEND:
        values = list(state)
        for name in AMENDABLE:
            if name in data:
                values[_INDEX[name]] = _amend(state, name, *data[name])
        values[_VERSION] += 1
        values[_UPDATED_AT] = at
        return _new_tuple(LicenceState, values)
    raise EventRefused(f"an action the register does not know: {action!r}")


def fold(events: Iterable[LicenceEvent]) -> dict[str, LicenceState]:
    """Every licence the events (oldest first) make, by number."""
    licences: dict[str, LicenceState] = {}
    for event in events:
        licences[event.licence] = evolve(licences.get(event.licence), event)
    return licences


def _issued(event: LicenceEvent) -> LicenceState:
    if event.from_status is not None:
        raise EventRefused(f"an issue event moves from {event.from_status!r}")
    data = event.data
    if missing := [name for name in ISSUED_FIELDS if name not in data]:
        raise EventRefused(f"the issue event lacks {', '.join(missing)}")
    at = instant(event.at)
    return LicenceState(
        number=event.licence,
        **{name: read_recorded(name, data[name]) for name in ISSUED_FIELDS},
        status=event.to_status,
        status_since=at,
        suspended_until=None,
        version=1,
        created_at=at,
        updated_at=at,
    )


def instant(at: datetime | str) -> datetime:
    """An event's instant: as the write path holds it, or as the trail writes it (read only once
    the event's shape is known to fit the licence, so a finding names the graver fault)."""
    return at if isinstance(at, datetime) else parse_utc(at)


def _amend(state: LicenceState, name: str, old: Any, new: Any) -> Any:
    old, new = read_recorded(name, old), read_recorded(name, new)
    if getattr(state, name) != old:
        raise EventRefused(
            f"the amend event changes {name} from {shown(old)} but the licence's events before "
            f"it leave it {shown(getattr(state, name))}"
        )
    return new


def sealed(
    event: LicenceEvent, *, seq: int, prev: str, actor: str, role: str, request_id: str
) -> dict[str, Any]:
    """The event as the trail records it (design, section 4): what happened, who asked in which
    request, chained after `prev` at `seq`, and sealed with its hash."""
    return seal(
        {
            "seq": seq,
            "licence": event.licence,
            "action": event.action,
            "from": event.from_status,
            "to": event.to_status,
            "reason_code": event.reason_code,
            "reason": event.reason,
            "legal_basis": event.legal_basis,
            "data": event.data,
            "actor": actor,
            "role": role,
            "request_id": request_id,
            "at": format_utc(instant(event.at)),
            "prev": prev,
        }
    )


def shown(value: Any) -> str:
    """A licence's value as the registry writes it, quoted where it is text."""
    if value is None:
        return "empty"
    if isinstance(value, datetime):
        return repr(format_utc(value))
    if isinstance(value, date):
        return repr(value.isoformat())
    if isinstance(value, Decimal):
        return repr(capacity_text(value))
    return repr(value)
