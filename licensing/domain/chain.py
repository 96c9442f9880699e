"""The audit trail's hash chain: canonical JSON and event hashes. Anyone can recompute them from
these rules alone; trail.py walks a chain with them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64

# The keys of an exported event, in canonical (sorted) order.
EVENT_KEYS = (
    "action", "actor", "at", "data", "from", "hash", "legal_basis", "licence", "prev", "reason",
    "reason_code", "request_id", "role", "seq", "to",
)  # fmt: skip


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
