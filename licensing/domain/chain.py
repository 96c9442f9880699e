"""The audit trail's hash chain: canonical JSON and event hashes. Anyone can recompute them from
these rules alone; trail.py walks a chain with them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class EventField:
    """One key of an audit event: its name as exported and hashed, its JSON type, whether it may
    be null, and the table column that holds it where the name would clash."""

    name: str
    kind: type
    nullable: bool = False
    column: str | None = None

    @property
    def attribute(self) -> str:
        return self.column or self.name


# The one declaration of an event's shape, in export order. The table's row, the CSV columns, the
# API's schema, the fast export walker and the chain rules are all derived from it.
EVENT_FIELDS = (
    EventField("seq", int),
    EventField("licence", str),
    EventField("action", str),
    EventField("from", str, nullable=True, column="from_status"),
    EventField("to", str, column="to_status"),
    EventField("reason_code", str, nullable=True),
    EventField("reason", str, nullable=True),
    EventField("legal_basis", str, nullable=True),
    EventField("data", dict),
    EventField("actor", str),
    EventField("role", str),
    EventField("request_id", str),
    EventField("at", str),
    EventField("prev", str),
    EventField("hash", str),
)
# The keys of an exported event, in canonical (sorted) order.
EVENT_KEYS = tuple(sorted(field.name for field in EVENT_FIELDS))


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the event without its `hash` key."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def seal(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its `hash` set."""
    return {**event, "hash": event_hash(event)}


def event_problem(event: Mapping[str, Any]) -> str | None:
    """Why `event`, on its own, is not a sound event; None when it is. (Its place in the chain,
    seq and prev, is the walker's business: see trail.py.)"""
    if set(event) != set(EVENT_KEYS):
        missing, extra = set(EVENT_KEYS) - set(event), set(event) - set(EVENT_KEYS)
        return f"wrong keys (missing: {sorted(missing)}, unexpected: {sorted(extra)})"
    if not isinstance(event["seq"], int) or isinstance(event["seq"], bool):
        return "seq is not an integer"
    if event["hash"] != event_hash(event):
        return "hash does not match the event's contents: it was edited"
    return None
