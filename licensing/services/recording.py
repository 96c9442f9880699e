"""The register as the projection of the trail: a licence's row holds its state, and recording an
event is the one way it changes: evolve the state, store the result, chain the event, all in the
caller's write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from licensing.domain.decider import (
    STATE_FIELDS,
    Command,
    LicenceEvent,
    LicenceState,
    decide,
    evolve,
)
from licensing.domain.replay import ROW_FIELDS
from licensing.models import Licence
from licensing.services import changes, events
from licensing.services.context import Context
from licensing.services.transaction import Write

LICENCES: Table = Licence.__table__  # type: ignore[assignment]


# a licence's state as lists read it: its columns through Core, no objects to build and track;
# each row is a LicenceState by `LicenceState._make`
STATE_COLUMNS = select(*(LICENCES.c[name] for name in STATE_FIELDS))


def state_of(row: Any) -> LicenceState:
    """A licence's state from its row (a model, or a row of a query holding its columns)."""
    return LicenceState(**{name: getattr(row, name) for name in STATE_FIELDS})


def carry_out(
    write: Write, ctx: Context, state: LicenceState | None, command: Command
) -> LicenceState:
    """The licence after `command`, decided at the write's instant and recorded inside `write`;
    unchanged (and nothing recorded) when the command changes nothing."""
    event = decide(state, command, ctx.policy, write.now)
    if event is None:
        assert state is not None
        return state
    return record(write, ctx, state, event)


def record(
    write: Write, ctx: Context, state: LicenceState | None, event: LicenceEvent
) -> LicenceState:
    """The licence after `event`, stored and its event chained (with its change-feed item),
    inside `write`."""
    after = evolve(state, event)
    if state is None:
        write.insert(LICENCES, {name: getattr(after, name) for name in ROW_FIELDS})
    else:
        changed = {
            name: new
            for name in ROW_FIELDS
            if (new := getattr(after, name)) != getattr(state, name)
        }
        # the row is the one at the version decided on: one that moved on matches nothing
        keys = {"number": state.number, "version": state.version}
        write.update(LICENCES, keys, changed)
    record = events.append(write, ctx, event)
    changes.project(write, ctx.policy, record["seq"], event, state, after)
    return after
