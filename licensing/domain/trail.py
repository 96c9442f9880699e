"""Walking a trail event by event by the reference rules: each line judged by chain.py (its
keys, its types, its hash), the links between lines, and the checkpoints an auditor kept. Plain
and slow on purpose: it is what the fast walk (fastpaths/trail_walk.py) must agree with, line for
line, finding for finding.

The database keeps each event twice, as its line and as columns (its queryable projection), and
both must say the same: check_stored judges a stored event whole."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from licensing.domain.chain import EVENT_FIELDS, GENESIS, canonical_json, event_problem

STORED_NAMES = tuple(field.name for field in EVENT_FIELDS)


class CheckedLine(NamedTuple):
    seq: int | None
    prev: str | None
    hash: str | None
    problem: str | None  # why the line's own content does not hold; None when it does
    event: dict[str, Any] | None = None  # the event as decoded, when it could be


class StoredEvent(NamedTuple):
    """An event that holds, as a walk of the stored trail hands it on (its data decoded)."""

    seq: int
    licence: str
    action: str
    from_: str | None
    to: str
    reason_code: str | None
    reason: str | None
    legal_basis: str | None
    data: dict[str, Any]
    actor: str
    role: str
    request_id: str
    at: str
    prev: str
    hash: str


def check_line(line: bytes) -> CheckedLine:
    """One exported line judged on its own: is it an event whose hash matches its contents?"""
    try:
        event = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return CheckedLine(None, None, None, "not a JSON object")
    except RecursionError:  # no event nests deeper than two levels
        return CheckedLine(None, None, None, "not an event: nested far too deep")
    if not isinstance(event, dict):
        return CheckedLine(None, None, None, "not a JSON object")
    try:
        problem = event_problem(event)
    except UnicodeEncodeError:
        problem = "text that cannot be written as UTF-8"
    return CheckedLine(event.get("seq"), event.get("prev"), event.get("hash"), problem, event)


def check_stored(line: bytes, columns: Sequence[Any]) -> CheckedLine:
    """An event as the database keeps it: its line judged as check_line judges it, then each
    column (EVENT_FIELDS order, `data` as JSON text) against the line: the same value, and `data`
    the canonical JSON of the line's data."""
    checked = check_line(line)
    if checked.problem is None and (problem := projection_problem(checked.event, columns)):
        checked = checked._replace(problem=problem)
    return checked


def projection_problem(event: dict[str, Any] | None, columns: Sequence[Any]) -> str | None:
    """Which column does not say what the event's line says; None when all do."""
    if event is None:
        return None
    for name, value in zip(STORED_NAMES, columns, strict=True):
        expected = canonical_json(event["data"]) if name == "data" else event.get(name)
        if value != expected:
            return f"the {name} column does not match the event as it was hashed: it was edited"
    return None


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str = ""


@dataclass(frozen=True)
class Finding:
    line: int | None  # 1-based line number in the export (None: about the export as a whole)
    seq: int  # the first seq that does not hold
    problem: str


class TrailCheck:
    """Feed lines in order; the first finding stops the walk. `checkpoints` are ones the auditor
    kept: each must be reproduced at its seq, and an export may start after one of them."""

    def __init__(self, checkpoints: Iterable[Checkpoint] = ()) -> None:
        self.checkpoints = {kept.seq: kept.hash for kept in checkpoints}
        self.lines = 0
        self.finding: Finding | None = None
        self._next: int | None = None  # the seq the next line must have
        self._prev = GENESIS  # the hash the next line's prev must repeat

    @property
    def head(self) -> Checkpoint | None:
        """The last event that holds."""
        return None if self._next is None else Checkpoint(self._next - 1, self._prev)

    @property
    def events_checked(self) -> int:
        return self.lines - (1 if self.finding and self.finding.line else 0)

    def feed(self, line: bytes) -> bool:
        """Check the next line; False once something does not hold."""
        return self.feed_checked(check_line(line))

    def feed_all(self, lines: Iterable[bytes]) -> bool:
        """feed() for every line, stopping at the first that does not hold."""
        return all(self.feed(line) for line in lines)

    def feed_stored(self, rows: Iterable[Sequence[Any]], *, typed: bool) -> Iterator[Any]:
        """Walk events as the database keeps them, oldest first: each row is the line (bytes),
        then the columns (EVENT_FIELDS order, `data` as JSON text). Yields each event that holds,
        as a StoredEvent; stops at the first that does not. (`typed` is the fast walk's.)"""
        for row in rows:
            checked = check_stored(row[0], row[1:])
            if not self.feed_checked(checked):
                return
            yield StoredEvent(*(checked.event[name] for name in STORED_NAMES))  # type: ignore[index]

    def feed_checked(self, checked: CheckedLine) -> bool:
        """Like feed, for a line the caller has already checked on its own. (The hot loop of a
        million-line check: kept free of per-line objects.)"""
        if self.finding:
            return False
        self.lines += 1
        seq, prev, hash_, problem, _ = checked
        if problem:
            return self._fail(problem)
        expected = self._next
        if expected is None:
            if problem := self._start(seq, prev):  # type: ignore[arg-type]
                return self._fail(problem)
        elif seq != expected:
            if seq > expected:  # type: ignore[operator]
                return self._fail(f"seq jumps from {expected - 1} to {seq}: events are missing")
            return self._fail(f"seq {seq} comes again or out of order after {expected - 1}")
        elif prev != self._prev:
            return self._fail("prev does not match the hash of the event before")
        kept = self.checkpoints.get(seq) if self.checkpoints else None  # type: ignore[arg-type]
        if kept is not None and kept != hash_:
            return self._fail(
                f"the hash at seq {seq} differs from the kept checkpoint: the trail was rewritten"
            )
        self._next, self._prev = seq + 1, hash_  # type: ignore[operator, assignment]
        return True

    def finish(self) -> Finding | None:
        """After the last line: anything kept that the export no longer reaches."""
        if self.finding:
            return self.finding
        last = self._next - 1 if self._next else 0
        beyond = sorted(seq for seq in self.checkpoints if seq > last)
        if beyond:
            self.finding = Finding(
                None,
                last + 1,
                f"a kept checkpoint at seq {beyond[-1]} is ahead of the export's head at seq "
                f"{last}: {beyond[-1] - last} signed event(s) are missing; events were removed "
                "from the end, or lost in a restore from an older backup",
            )
        return self.finding

    def _fail(self, problem: str) -> bool:
        self.finding = Finding(self.lines, self._next or 1, problem)
        return False

    def _start(self, seq: int, prev: str | None) -> str | None:
        if seq == 1:
            return None if prev == GENESIS else "the first event's prev is not the genesis hash"
        anchor = self.checkpoints.get(seq - 1)
        if anchor is None:
            return (
                f"the export starts at seq {seq}: give the checkpoint at seq {seq - 1} to check it"
            )
        return None if prev == anchor else "prev does not match the kept checkpoint before it"


def check_trail(lines: Iterable[bytes], checkpoints: Sequence[Checkpoint] = ()) -> TrailCheck:
    walk = TrailCheck(checkpoints)
    walk.feed_all(lines)
    walk.finish()
    return walk
