"""Walking an exported trail line by line: each line's hash, the chain between lines, and the
checkpoints an auditor kept. Exact to the rules of chain.py, and fast: a line is decoded once into
a typed event (no floats, no unknown keys) and re-encoded canonically; any line that does not fit
that mould, or whose hash does not match, is judged again by the reference rules.

The database keeps each event twice, as its line and as columns (its queryable projection), and
both must say the same. There the fast path goes the other way: the columns are encoded
canonically, and a line byte for byte equal to that encoding, with a matching hash, holds without
being decoded at all; anything else is judged by the reference rules, line and columns."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec

from licensing.domain.chain import EVENT_FIELDS, GENESIS, canonical_json, event_problem

_UNSET = msgspec.UNSET


def _event_struct() -> type[msgspec.Struct]:
    """The typed event of chain.EVENT_FIELDS: unknown keys refused, nulls only where allowed, the
    hash optional (it is taken out before the event is re-encoded)."""
    spec: list[Any] = []
    for field in EVENT_FIELDS:
        kind: Any = field.kind if field.kind is not dict else dict[str, Any]
        if field.nullable:
            kind = kind | None
        if field.name == "hash":
            spec.append((field.name, kind | msgspec.UnsetType, _UNSET))
        else:
            spec.append((field.name, kind))
    return msgspec.defstruct(
        "_Event", spec, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
    )


_Event = _event_struct()


def _no_floats(text: str) -> Any:
    raise ValueError("events carry no floats")


_DECODER = msgspec.json.Decoder(_Event, float_hook=_no_floats)
_ENCODER = msgspec.json.Encoder(order="sorted")


def _stored_struct() -> type[msgspec.Struct]:
    """An event as its columns hold it, in EVENT_FIELDS order (`from` is `from_`), built
    positionally; encoded, it is the event's canonical JSON, without its hash while that is unset.
    Doubles as the event the fast path hands on, its data decoded."""
    names = [field.name for field in EVENT_FIELDS]
    assert names[-1] == "hash"
    spec: list[Any] = [("from_" if name == "from" else name, Any) for name in names[:-1]]
    return msgspec.defstruct(
        "StoredEvent",
        [*spec, ("hash", Any, _UNSET)],
        omit_defaults=True,
        rename={"from_": "from"},
    )


StoredEvent = _stored_struct()
_STORED_NAMES = tuple(field.name for field in EVENT_FIELDS)
_HASH_MEMBER = len('"hash":"",') + 64
_DATA_DECODER = msgspec.json.Decoder(dict[str, Any], float_hook=_no_floats)
_DATA_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError, TypeError)


class CheckedLine(NamedTuple):
    seq: int | None
    prev: str | None
    hash: str | None
    problem: str | None  # why the line's own content does not hold; None when it does
    event: dict[str, Any] | None = None  # only when asked for (see check_line)


def check_line(line: bytes, *, keep_event: bool = False) -> CheckedLine:
    """One exported line judged on its own: is it an event whose hash matches its contents?"""
    try:
        event = _DECODER.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return _check_by_reference(line)
    claimed, event.hash = event.hash, _UNSET
    if claimed is _UNSET or hashlib.sha256(_ENCODER.encode(event)).hexdigest() != claimed:
        return _check_by_reference(line)
    kept = None
    if keep_event:
        event.hash = claimed
        kept = msgspec.to_builtins(event)
    return CheckedLine(event.seq, event.prev, claimed, None, kept)  # type: ignore[arg-type]


def settled(line: bytes) -> tuple[int, str, str] | None:
    """(seq, prev, hash) of a line that holds on the fast path: decoded into the typed event, its
    hash that of the event's canonical encoding. None for anything else, which the reference
    rules must judge (check_line); the links between lines are the caller's to check."""
    try:
        event = _DECODER.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    claimed, event.hash = event.hash, _UNSET
    if claimed is _UNSET or hashlib.sha256(_ENCODER.encode(event)).hexdigest() != claimed:
        return None
    return event.seq, event.prev, claimed  # type: ignore[return-value]


def _plain(row: Sequence[Any]) -> bool:
    """A stored row whose columns hold only what the fast path takes: an integer seq, text or
    null (a BLOB would encode as base64 text and pass for a string)."""
    return type(row[1]) is int and all(value is None or type(value) is str for value in row[2:])


def check_stored(line: bytes, columns: Sequence[Any]) -> CheckedLine:
    """An event as the database keeps it, by the reference rules: its line judged as check_line
    judges it, then each column (EVENT_FIELDS order, `data` as JSON text) against the line: the
    same value, and `data` the canonical JSON of the line's data. The event is kept."""
    checked = check_line(line, keep_event=True)
    if checked.problem is None and (problem := projection_problem(checked.event, columns)):
        checked = checked._replace(problem=problem)
    return checked


def projection_problem(event: dict[str, Any] | None, columns: Sequence[Any]) -> str | None:
    """Which column does not say what the event's line says; None when all do."""
    if event is None:
        return None
    for name, value in zip(_STORED_NAMES, columns, strict=True):
        expected = canonical_json(event["data"]) if name == "data" else event.get(name)
        if value != expected:
            return f"the {name} column does not match the event as it was hashed: it was edited"
    return None


def _check_by_reference(line: bytes) -> CheckedLine:
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
        """feed() for every line, stopping at the first that does not hold. A line that holds and
        links on, the usual case, is settled right here; anything else goes through feed()."""
        kept = self.checkpoints
        for line in lines:
            if self._next is not None and (held := settled(line)) is not None:
                seq, prev, claimed = held
                if seq == self._next and prev == self._prev and seq not in kept:
                    self.lines += 1
                    self._next, self._prev = seq + 1, claimed
                    continue
            if not self.feed(line):
                return False
        return True

    def feed_stored(self, rows: Iterable[Sequence[Any]], *, typed: bool) -> Iterator[Any]:
        """Walk events as the database keeps them, oldest first: each row is the line (bytes),
        then the columns (EVENT_FIELDS order, `data` as JSON text). Yields each event that holds,
        as a StoredEvent with its data decoded; stops at the first that does not. `typed`: the
        database guarantees every column is text or null and seq an integer (PostgreSQL's column
        types do; SQLite keeps a BLOB in any column, so there each row's types are looked at).

        A row settles here when its data column is canonical JSON, its line is byte for byte the
        canonical encoding of its columns, the hash is that of the line without its hash member,
        and it links on. Then the line, decoded, is exactly the columns (so every column matches
        it), and it is canonical (so its hash is the one chain.py computes): what check_stored()
        would find, without decoding the line. Any other row is judged by check_stored()."""
        decode_data, encode, sha256, raw = (
            _DATA_DECODER.decode, _ENCODER.encode, hashlib.sha256, msgspec.Raw
        )  # fmt: skip
        kept = self.checkpoints
        if self.finding:
            return
        for row in rows:
            (line, seq, licence, action, from_, to, reason_code, reason, legal_basis, data,
             actor, role, request_id, at, prev, hash_) = row  # fmt: skip
            if (
                seq == self._next
                and prev == self._prev
                and seq not in kept
                and (typed or _plain(row))
            ):
                try:
                    values = decode_data(data)
                except _DATA_ERRORS:
                    values = None
                if values is not None and encode(values) == data.encode():
                    event = StoredEvent(
                        seq, licence, action, from_, to, reason_code, reason, legal_basis,
                        raw(data), actor, role, request_id, at, prev, hash_,
                    )  # fmt: skip
                    if encode(event) == line:
                        # the hash member is the last `,"hash":"` (no text after it holds a bare
                        # quote) and 74 bytes long, as it must be to equal a hex digest
                        cut = line.rfind(b',"hash":"') + 1
                        body = sha256(line[:cut])
                        body.update(line[cut + _HASH_MEMBER :])
                        if body.hexdigest() == hash_:
                            event.data = values
                            self.lines += 1
                            self._next, self._prev = seq + 1, hash_
                            yield event
                            continue
            checked = check_stored(line, row[1:])
            if not self.feed_checked(checked):
                return
            yield StoredEvent(*(checked.event[name] for name in _STORED_NAMES))  # type: ignore[index]

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
