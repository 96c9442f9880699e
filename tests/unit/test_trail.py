from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licensing.domain.chain import GENESIS, canonical_json, event_hash, seal
from licensing.domain.trail import Checkpoint, Finding, TrailCheck, check_stored
from licensing.fastpaths.trail_walk import _ENCODER, FastTrailCheck, check_line, check_trail

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def event(seq: int, prev: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "seq": seq, "licence": "DM-2026-000001", "action": "suspend", "from": "issued",
        "to": "suspended", "reason_code": "violation_found", "reason": "Превышение «квоты»",
        "legal_basis": "ст. 9", "data": {"until": "2026-05-10"}, "actor": "alice",
        "role": "regulator", "request_id": f"r{seq}", "at": "2026-03-10T09:30:00.000000Z",
        "prev": prev,
    }  # fmt: skip
    body.update(overrides)
    return seal(body)


def lines(n: int) -> list[bytes]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        e = event(seq, prev)
        out.append(canonical_json(e).encode() + b"\n")
        prev = e["hash"]
    return out


@settings(max_examples=300)
@given(data=st.dictionaries(TEXT, JSONISH, max_size=5), reason=st.none() | TEXT, actor=TEXT)
def test_the_fast_encoding_is_byte_for_byte_the_canonical_json(
    data: dict[str, Any], reason: str | None, actor: str
) -> None:
    e = event(1, GENESIS, data=data, reason=reason, actor=actor)
    body = {k: v for k, v in e.items() if k != "hash"}
    typed = msgspec.json.decode(canonical_json(body).encode())
    assert _ENCODER.encode(typed) == canonical_json(body).encode("utf-8")
    checked = check_line(canonical_json(e).encode())
    assert (checked.problem, checked.hash) == (None, e["hash"])


def test_a_line_in_another_key_order_or_spacing_still_holds() -> None:
    e = event(1, GENESIS)
    loose = json.dumps(dict(reversed(list(e.items()))), indent=1, ensure_ascii=True).encode()
    assert check_line(loose).problem is None


def test_a_float_is_judged_by_the_reference_rules() -> None:
    e = event(1, GENESIS, data={"capacity": 1e16})
    assert check_line(canonical_json(e).encode()).problem is None  # hashed as Python writes it
    # hashed over another writer's spelling of the same float: not the canonical bytes
    body = canonical_json({k: v for k, v in e.items() if k != "hash"}).replace("1e+16", "1e16")
    other = {**json.loads(body), "hash": hashlib.sha256(body.encode()).hexdigest()}
    assert "edited" in (check_line(json.dumps(other).encode()).problem or "")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b"not json\n", "not a JSON object"),
        (b"[1, 2]\n", "not a JSON object"),
        (b"\n", "not a JSON object"),
        (b'{"seq": 1}\n', "wrong keys"),
    ],
)
def test_lines_that_are_not_events(line: bytes, problem: str) -> None:
    assert problem in (check_line(line).problem or "")


def test_an_edited_line_is_caught() -> None:
    good = lines(1)[0]
    edited = good.replace("квоты".encode(), "квота".encode())
    assert "edited" in (check_line(edited).problem or "")


def test_an_extra_key_is_caught_even_with_a_matching_hash() -> None:
    e = event(1, GENESIS)
    extra = seal({**{k: v for k, v in e.items() if k != "hash"}, "note": "x"})
    assert "wrong keys" in (check_line(canonical_json(extra).encode()).problem or "")


def test_an_intact_trail_holds() -> None:
    walk = check_trail(lines(5))
    assert walk.finding is None and walk.events_checked == 5 and walk.head and walk.head.seq == 5


@pytest.mark.parametrize(
    ("tamper", "line", "seq", "words"),
    [
        (lambda ls: ls.pop(2), 3, 3, "missing"),  # deleted
        (lambda ls: ls.insert(2, ls[1]), 3, 3, "again"),  # inserted (a copy)
        (lambda ls: ls.__setitem__(slice(1, 3), [ls[2], ls[1]]), 2, 2, "missing"),  # reordered
        (lambda ls: ls.__setitem__(0, ls[0].replace(b"alice", b"mallory")), 1, 1, "edited"),
    ],
)
def test_tampered_trails_report_the_line_and_seq(
    tamper: Any, line: int, seq: int, words: str
) -> None:
    trail = lines(5)
    tamper(trail)
    walk = check_trail(trail)
    assert walk.finding is not None
    assert (walk.finding.line, walk.finding.seq) == (line, seq)
    assert words in walk.finding.problem


def test_a_rehashed_edit_breaks_the_link_to_the_next_line() -> None:
    trail = lines(4)
    forged = json.loads(trail[1])
    forged["reason"] = "rewritten"
    forged["hash"] = event_hash(forged)
    trail[1] = canonical_json(forged).encode()
    walk = check_trail(trail)
    assert walk.finding and (walk.finding.line, walk.finding.seq) == (3, 3)
    assert "prev" in walk.finding.problem


def test_a_rewritten_trail_does_not_reproduce_a_kept_checkpoint() -> None:
    original = lines(4)
    kept = Checkpoint(3, json.loads(original[2])["hash"])
    prev, rewritten = GENESIS, []
    for seq in range(1, 5):
        e = event(seq, prev, reason="rewritten history")
        rewritten.append(canonical_json(e).encode())
        prev = e["hash"]
    assert check_trail(rewritten).finding is None  # a full recomputation hangs together...
    walk = check_trail(rewritten, [kept])
    assert walk.finding and walk.finding.seq == 3 and "checkpoint" in walk.finding.problem


def test_a_cut_tail_does_not_reach_a_kept_checkpoint() -> None:
    trail = lines(5)
    kept = Checkpoint(5, json.loads(trail[4])["hash"])
    walk = check_trail(trail[:3], [kept])
    assert walk.finding and walk.finding.line is None and walk.finding.seq == 4
    assert "removed from the end" in walk.finding.problem


def test_an_export_after_a_checkpoint_is_anchored_by_it() -> None:
    trail = lines(6)
    kept = Checkpoint(3, json.loads(trail[2])["hash"])
    assert check_trail(trail[3:], [kept]).finding is None
    unanchored = check_trail(trail[3:])
    assert unanchored.finding and "starts at seq 4" in unanchored.finding.problem
    wrong = check_trail(trail[3:], [Checkpoint(3, "0" * 64)])
    assert wrong.finding and "checkpoint" in wrong.finding.problem


def test_the_first_line_must_start_at_genesis() -> None:
    e = event(1, "f" * 64)
    walk = check_trail([canonical_json(e).encode()])
    assert walk.finding and "genesis" in walk.finding.problem


@settings(max_examples=200)
@given(
    cut=st.integers(0, 7),
    swap=st.integers(0, 6),
    edit=st.integers(0, 7),
    how=st.sampled_from(["none", "cut", "swap", "edit", "duplicate"]),
    kept_at=st.none() | st.integers(1, 8),
)
def test_the_fast_walk_finds_exactly_what_line_by_line_feeding_finds(
    cut: int, swap: int, edit: int, how: str, kept_at: int | None
) -> None:
    original = lines(8)
    trail = list(original)
    if how == "cut":
        trail.pop(cut)
    elif how == "swap":
        trail[swap], trail[swap + 1] = trail[swap + 1], trail[swap]
    elif how == "edit":
        trail[edit] = trail[edit].replace(b"alice", b"alicE")
    elif how == "duplicate":
        trail.insert(edit, trail[edit])
    kept = [Checkpoint(kept_at, json.loads(original[kept_at - 1])["hash"])] if kept_at else []
    fast = check_trail(trail, kept)
    slow = TrailCheck(kept)
    for line in trail:
        if not slow.feed(line):
            break
    slow.finish()
    assert (fast.finding, fast.events_checked, fast.head) == (
        slow.finding,
        slow.events_checked,
        slow.head,
    )


COLUMN_NAMES = (
    "seq", "licence", "action", "from", "to", "reason_code", "reason", "legal_basis", "data",
    "actor", "role", "request_id", "at", "prev", "hash",
)  # fmt: skip


def stored(e: dict[str, Any]) -> tuple[Any, ...]:
    """An event as the database keeps it: the line, then the columns (data as canonical JSON)."""
    columns = [canonical_json(e["data"]) if name == "data" else e[name] for name in COLUMN_NAMES]
    return (canonical_json(e).encode(), *columns)


def stored_trail(n: int, data: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        e = event(seq, prev, data=data if seq == 2 else {"until": "2026-05-10"})
        rows.append(stored(e))
        prev = e["hash"]
    return rows


def walk_stored_by_reference(
    rows: list[tuple[Any, ...]],
) -> tuple[TrailCheck, list[dict[str, Any]]]:
    walk, events = TrailCheck(), []
    for line, *columns in rows:
        checked = check_stored(line, columns)
        if not walk.feed_checked(checked):
            break
        events.append(checked.event)
    return walk, events


def rehashed(e: dict[str, Any], data_text: str) -> bytes:
    """The line a forger writes: data spelt `data_text`, hashed as spelt (not canonically)."""
    body = dict(e, data=msgspec.Raw(data_text))
    body.pop("hash")
    digest = hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()
    return msgspec.json.encode({**body, "hash": digest}, order="sorted")


@settings(max_examples=300)
@given(
    data=st.dictionaries(TEXT, JSONISH, max_size=4),
    at=st.integers(0, 3),
    how=st.sampled_from(
        ["none", "column", "null", "loose data", "loose line", "rehashed", "float", "blob"]
    ),
    column=st.sampled_from(COLUMN_NAMES),
    value=TEXT,
    typed=st.booleans(),
)
def test_stored_events_are_judged_as_the_reference_rules_judge_them(
    data: dict[str, Any], at: int, how: str, column: str, value: str, typed: bool
) -> None:
    rows = stored_trail(4, data)
    line, *columns = rows[at]
    e = json.loads(line)
    index = COLUMN_NAMES.index(column)
    if how == "column":
        columns[index] = value
    elif how == "null":
        columns[index] = None
    elif how == "loose data":
        columns[8] = json.dumps(e["data"], sort_keys=True)
    elif how == "loose line":
        line = json.dumps(e, indent=1, ensure_ascii=True).encode()
    elif how == "rehashed":
        columns[8] = json.dumps(e["data"], sort_keys=True)
        line = rehashed(e, columns[8])
        columns[14] = json.loads(line)["hash"]
    elif how == "float":
        e = seal({**{k: v for k, v in e.items() if k != "hash"}, "data": {"mw": 1e16}})
        line, *columns = stored(e)
    elif how == "blob" and not typed:
        columns[index] = str(columns[index]).encode()
    rows[at] = (line, *columns)
    fast = FastTrailCheck()
    events = [msgspec.to_builtins(held) for held in fast.feed_stored(rows, typed=typed)]
    slow, reference = walk_stored_by_reference(rows)
    assert (fast.finding, fast.events_checked, fast.head) == (
        slow.finding,
        slow.events_checked,
        slow.head,
    )
    assert events == reference


def test_an_edited_column_of_a_stored_event_is_named() -> None:
    rows = stored_trail(3, {"until": "2026-05-10"})
    rows[1] = (*rows[1][:7], "nothing happened", *rows[1][8:])
    walk = TrailCheck()
    assert len(list(walk.feed_stored(rows, typed=True))) == 1
    assert walk.finding == Finding(
        2, 2, "the reason column does not match the event as it was hashed: it was edited"
    )
