from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from licensing.domain.chain import canonical_json, seal
from licensing.domain.trail import Checkpoint, TrailCheck
from licensing.fastpaths import trail_parallel
from licensing.fastpaths.trail_parallel import _cuts, check_export
from licensing.fastpaths.trail_walk import check_trail
from tests.unit.test_trail import event, lines

TRAIL = lines(40)  # about 450 bytes a line
HASHES = [json.loads(line)["hash"] for line in TRAIL]


def outcome(walk: TrailCheck) -> tuple[object, ...]:
    return walk.finding, walk.events_checked, walk.head, walk.lines


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def both(
    folder: Path, content: bytes, kept: list[Checkpoint], range_size: int, workers: int = 2
) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """The sequential walk's outcome and the parallel one's, over the same file."""
    path = folder / "trail.ndjson"
    path.write_bytes(content)
    with open(path, "rb") as file:
        sequential = outcome(check_trail(file, kept))
    with open(path, "rb") as file:
        parallel = outcome(
            check_export(file, kept, workers=workers, range_size=range_size, min_size=0)
        )
    return sequential, parallel


def noncanonical(line: bytes) -> bytes:
    """The same event, hash still valid, in another key order and spacing."""
    e = json.loads(line)
    return json.dumps(dict(reversed(list(e.items()))), indent=None, ensure_ascii=True).encode()


def tamper(trail: list[bytes], how: str, at: int) -> list[bytes]:
    trail = list(trail)
    at = min(at, len(trail) - 2)
    if how == "edit":
        trail[at] = trail[at].replace(b"alice", b"alicE")
    elif how == "remove":
        trail.pop(at)
    elif how == "swap":
        trail[at], trail[at + 1] = trail[at + 1], trail[at]
    elif how == "bad hash":
        e = json.loads(trail[at])
        trail[at] = canonical_json({**e, "hash": "0" * 64}).encode() + b"\n"
    elif how == "duplicate":
        trail.insert(at, trail[at])
    elif how == "noncanonical":
        trail[at] = noncanonical(trail[at]) + b"\n"
    elif how == "blank":
        trail.insert(at, b"\n")
    elif how == "garbage":
        trail[at] = b"not json\n"
    elif how == "relinked":  # sound on its own, hashed over a wrong prev: a broken link
        e = json.loads(trail[at])
        body = {k: v for k, v in e.items() if k != "hash"}
        trail[at] = canonical_json(seal({**body, "prev": "f" * 64})).encode() + b"\n"
    return trail


HOWS = ["none", "edit", "remove", "swap", "bad hash", "duplicate", "noncanonical", "blank",
        "garbage", "relinked"]  # fmt: skip


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    how=st.sampled_from(HOWS),
    at=st.integers(0, 39),
    start=st.sampled_from([0, 0, 5]),
    kept_at=st.none() | st.integers(1, 45),
    kept_differs=st.booleans(),
    range_size=st.integers(300, 6000),
    ending=st.sampled_from(["\n", "\r\n", "none"]),
)
def test_the_parallel_walk_finds_exactly_what_the_sequential_walk_finds(
    scratch: Path, how: str, at: int, start: int, kept_at: int | None, kept_differs: bool,
    range_size: int, ending: str,
) -> None:  # fmt: skip
    trail = tamper(TRAIL, how, at)[start:]
    if ending == "\r\n":
        trail = [line.replace(b"\n", b"\r\n") for line in trail]
    content = b"".join(trail)
    if ending == "none":
        content = content.rstrip(b"\n")
    kept = []
    if start:
        kept.append(Checkpoint(start, HASHES[start - 1]))
    if kept_at:
        known = HASHES[kept_at - 1] if kept_at <= len(HASHES) else "a" * 64
        kept.append(Checkpoint(kept_at, "b" * 64 if kept_differs else known))
    sequential, parallel = both(scratch, content, kept, range_size)
    assert parallel == sequential


@pytest.mark.parametrize("how", ["remove", "relinked", "swap", "edit"])
def test_a_fault_exactly_at_a_range_boundary(scratch: Path, how: str) -> None:
    content = b"".join(TRAIL)
    path = scratch / "cut.ndjson"
    path.write_bytes(content)
    with open(path, "rb") as file:
        first = len(file.readline())
        cuts = _cuts(file, first, len(content), 4)
    boundary = content[: cuts[2]].count(b"\n")  # index of the first line of the third range
    for at in (boundary - 1, boundary):
        trail = tamper(TRAIL, how, at)
        sequential, parallel = both(scratch, b"".join(trail), [], len(content) // 4, workers=2)
        assert parallel == sequential
        assert sequential[0] is not None


@pytest.mark.parametrize(
    "kept",
    [
        [Checkpoint(20, HASHES[19])],  # reproduced
        [Checkpoint(20, "0" * 64)],  # differs: the trail was rewritten
        [Checkpoint(50, "0" * 64)],  # ahead of the head
        [Checkpoint(1, HASHES[0]), Checkpoint(40, HASHES[39])],
    ],
)
def test_kept_checkpoints(scratch: Path, kept: list[Checkpoint]) -> None:
    sequential, parallel = both(scratch, b"".join(TRAIL), kept, 1000)
    assert parallel == sequential


def test_an_export_that_starts_after_a_checkpoint(scratch: Path) -> None:
    kept = [Checkpoint(10, HASHES[9])]
    sequential, parallel = both(scratch, b"".join(TRAIL[10:]), kept, 1000)
    assert parallel == sequential and sequential[0] is None
    unanchored = both(scratch, b"".join(TRAIL[10:]), [], 1000)
    assert unanchored[0] == unanchored[1] and unanchored[0][0] is not None


@pytest.mark.parametrize("content", [b"", b"\n", b"\n\n", TRAIL[0], TRAIL[0].rstrip()])
def test_tiny_files(scratch: Path, content: bytes) -> None:
    sequential, parallel = both(scratch, content, [], 300)
    assert parallel == sequential


def test_an_intact_trail_is_settled_by_the_workers(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settled: list[int] = []
    link = trail_parallel._link

    def counting(walk: TrailCheck, summary: trail_parallel.Settled | None) -> bool:
        settled.append(summary.lines if summary else 0)
        return link(walk, summary)

    monkeypatch.setattr(trail_parallel, "_link", counting)
    sequential, parallel = both(scratch, b"".join(TRAIL), [], 3000)
    assert parallel == sequential
    assert sequential[0] is None and sequential[1] == 40
    assert len(settled) > 2 and sum(settled) == 39  # all but the first line, in ranges


def test_a_pipe_is_walked_line_by_line() -> None:
    read, write = os.pipe()
    with open(write, "wb") as sink:
        sink.write(b"".join(TRAIL[:5]))
    with open(read, "rb") as file:
        walk = check_export(file, workers=2, min_size=0)
    assert walk.finding is None and walk.events_checked == 5


def test_a_later_event_with_a_long_chain_still_holds(scratch: Path) -> None:
    # a chain long enough that every worker gets several ranges
    more = lines(200)
    sequential, parallel = both(scratch, b"".join(more), [], 2000, workers=3)
    assert parallel == sequential and sequential[0] is None
    e = event(201, json.loads(more[-1])["hash"])
    sequential, parallel = both(scratch, b"".join([*more, canonical_json(e).encode()]), [], 2000)
    assert parallel == sequential and sequential[1] == 201
