"""The one place audit events are appended, and read back in the exported event format."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table

from licensing.domain import merkle
from licensing.domain.chain import EVENT_FIELDS, canonical_json
from licensing.domain.decider import LicenceEvent, instant, sealed
from licensing.models import AuditEvent, LogNode
from licensing.services.context import Context
from licensing.services.transaction import Write

_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
_NODES: Table = LogNode.__table__  # type: ignore[assignment]


def append(write: Write, ctx: Context, event: LicenceEvent) -> dict[str, Any]:
    """Chain one event onto the head and add it to the Merkle tree as its next leaf, inside the
    caller's write transaction."""
    head = write.head
    record = sealed(
        event,
        seq=head.seq + 1,
        prev=head.hash,
        actor=ctx.actor.name,
        role=ctx.actor.role,
        request_id=ctx.request_id,
    )
    write.insert(_TABLE, columns(record))
    head.tree, completed = merkle.append(head.tree, head.seq, bytes.fromhex(record["hash"]))
    write.insert(_NODES, {"leaf": head.seq, "hashes": completed})
    head.seq, head.hash, head.at = record["seq"], record["hash"], instant(event.at)
    write.actions.append(event.action)
    return record


def columns(event: dict[str, Any]) -> dict[str, Any]:
    """The stored row of a sealed event: each key in its column (data as canonical JSON), and the
    whole event's canonical JSON as its line."""
    row = {
        field.attribute: canonical_json(event[field.name])
        if field.kind is dict
        else event[field.name]
        for field in EVENT_FIELDS
    }
    return {**row, "line": canonical_json(event)}


def as_event(row: AuditEvent) -> dict[str, Any]:
    """A stored event in the exported format of the design (section 4)."""
    return json.loads(row.line)  # type: ignore[no-any-return]


def as_events(rows: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    return [as_event(row) for row in rows]
