from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from licensing.domain.chain import GENESIS, canonical_json, event_problem, seal


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


def test_a_sound_event_has_no_problem() -> None:
    assert event_problem(chain(1)[0]) is None


def test_an_edited_field_is_found() -> None:
    event = chain(1)[0] | {"reason": "edited"}
    assert "edited" in (event_problem(event) or "")


@pytest.mark.parametrize(
    ("change", "words"),
    [({"note": "x"}, "unexpected"), ({"seq": "1"}, "integer"), ({"seq": True}, "integer")],
)
def test_wrong_keys_or_a_wrong_seq_type_are_found(change: dict[str, Any], words: str) -> None:
    event = {k: v for k, v in chain(1)[0].items() if k != "hash"} | change
    assert words in (event_problem(seal(event)) or "")


def test_a_missing_key_is_found() -> None:
    event = chain(1)[0]
    del event["actor"]
    assert "missing: ['actor']" in (event_problem(event) or "")
