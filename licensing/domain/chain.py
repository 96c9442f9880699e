"""The audit trail's hash chain: canonical JSON, event hashes, and walking a chain to find the
first event that does not hold. Anyone can recompute it from these rules alone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    head: dict[str, Any] | None  # {"seq", "hash"} of the last event that holds
    first_bad_seq: int | None
    problem: str | None = None


def verify(events: Iterable[Mapping[str, Any]]) -> Verification:
    """Walk events in `seq` order and report the first one that breaks the chain."""
    prev, expected_seq, checked = GENESIS, 1, 0
    head: dict[str, Any] | None = None
    for event in events:
        problem = chain_problem(event, expected_seq, prev)
        if problem:
            return Verification(False, checked, head, expected_seq, problem)
        checked += 1
        prev, expected_seq = event["hash"], expected_seq + 1
        head = {"seq": event["seq"], "hash": event["hash"]}
    return Verification(True, checked, head, None)


def chain_problem(event: Mapping[str, Any], expected_seq: int, prev: str) -> str | None:
    """Why `event` cannot follow an event whose hash is `prev`; None when it can."""
    if set(event) != set(EVENT_KEYS):
        missing, extra = set(EVENT_KEYS) - set(event), set(event) - set(EVENT_KEYS)
        return f"wrong keys (missing: {sorted(missing)}, unexpected: {sorted(extra)})"
    seq = event["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        return "seq is not an integer"
    if seq > expected_seq:
        return f"seq jumps from {expected_seq - 1} to {seq}: events are missing"
    if seq < expected_seq:
        return f"seq {seq} comes again or out of order after {expected_seq - 1}"
    if event["prev"] != prev:
        return "prev does not match the hash of the event before"
    if event["hash"] != event_hash(event):
        return "hash does not match the event's contents: it was edited"
    return None
