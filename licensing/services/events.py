"""The one place audit events are appended, and read back in the exported event format."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from licensing.domain.chain import EVENT_FIELDS, canonical_json, seal
from licensing.domain.timestamps import format_utc
from licensing.models import AuditEvent
from licensing.services.context import Context
from licensing.services.transaction import Write, named, one_row_insert

_INSERT = one_row_insert(AuditEvent.__table__, "event_")  # type: ignore[arg-type]


def append(
    write: Write,
    ctx: Context,
    *,
    licence: str,
    action: str,
    from_status: str | None,
    to_status: str,
    data: dict[str, Any],
    reason_code: str | None = None,
    reason: str | None = None,
    legal_basis: str | None = None,
) -> dict[str, Any]:
    """Chain one event onto the head, inside the caller's write transaction."""
    head = write.head
    event = seal(
        {
            "seq": head.seq + 1,
            "licence": licence,
            "action": action,
            "from": from_status,
            "to": to_status,
            "reason_code": reason_code,
            "reason": reason,
            "legal_basis": legal_basis,
            "data": data,
            "actor": ctx.actor.name,
            "role": ctx.actor.role,
            "request_id": ctx.request_id,
            "at": format_utc(write.now),
            "prev": head.hash,
        }
    )
    write.change(_INSERT, named("event_", columns(event)))
    head.seq, head.hash, head.at = event["seq"], event["hash"], write.now
    write.actions.append(action)
    return event


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
