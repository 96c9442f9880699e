from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from licensing.domain.chain import GENESIS, canonical_json, event_hash, seal, verify


def chain(n: int) -> list[dict[str, Any]]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = seal(
            {
                "seq": seq, "licence": "DM-2026-000001", "action": "amend", "from": "issued",
                "to": "issued", "reason_code": None, "reason": "Ω ü «»", "legal_basis": None,
                "data": {"capacity_mw": ["1", str(seq)]}, "actor": "alice", "role": "regulator",
                "request_id": f"r{seq}", "at": "2026-03-10T09:30:00.000000Z", "prev": prev,
            }
        )  # fmt: skip
        events.append(event)
        prev = event["hash"]
    return events


def test_hash_is_sha256_of_sorted_compact_utf8_json_without_the_hash_key() -> None:
    event = chain(1)[0]
    body = {k: v for k, v in event.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert event["hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert "Ω ü «»" in canonical_json(body)  # not \\u-escaped


def test_an_intact_chain_verifies() -> None:
    result = verify(chain(5))
    assert result.ok and result.events_checked == 5 and result.first_bad_seq is None
    assert result.head == {"seq": 5, "hash": chain(5)[-1]["hash"]}


def test_an_empty_chain_verifies() -> None:
    assert verify([]).ok


def test_an_edited_field_is_found() -> None:
    events = chain(5)
    events[2]["reason"] = "edited"
    result = verify(events)
    assert (result.ok, result.first_bad_seq, result.events_checked) == (False, 3, 2)
    assert "edited" in (result.problem or "")


def test_a_rehashed_edit_breaks_the_next_prev() -> None:
    events = chain(5)
    events[2]["reason"] = "edited"
    events[2]["hash"] = event_hash(events[2])
    assert verify(events).first_bad_seq == 4


@pytest.mark.parametrize(
    ("mutate", "bad"),
    [
        (lambda e: e.pop(2), 3),  # deleted
        (lambda e: e.insert(2, dict(e[1])), 3),  # duplicated
        (lambda e: e.__setitem__(slice(1, 3), [e[2], e[1]]), 2),  # swapped
    ],
)
def test_deleted_inserted_or_reordered_events_are_found(mutate: Any, bad: int) -> None:
    events = chain(5)
    mutate(events)
    assert verify(events).first_bad_seq == bad


def test_an_extra_key_is_found() -> None:
    events = chain(3)
    events[1]["note"] = "x"
    assert verify(events).first_bad_seq == 2
