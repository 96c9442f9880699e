"""The trail walked at byte level: exactly domain/trail.py's answers, and fast. A line is decoded
once into a typed event (no floats, no unknown keys) and re-encoded canonically; any line that
does not fit that mould, or whose hash does not match, is judged again by the reference rules.

The database keeps each event twice, as its line and as columns (its queryable projection), and
both must say the same. There the fast path goes the other way: the columns are encoded
canonically, and a line byte for byte equal to that encoding, with a matching hash, holds without
being decoded at all; anything else is judged by the reference rules, line and columns."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec

from licensing.domain import trail
from licensing.domain.chain import EVENT_FIELDS
from licensing.domain.trail import STORED_NAMES, CheckedLine, Checkpoint, TrailCheck, check_stored

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
        "StoredLine",
        [*spec, ("hash", Any, _UNSET)],
        omit_defaults=True,
        rename={"from_": "from"},
    )


StoredLine = _stored_struct()
_HASH_MEMBER = len('"hash":"",') + 64
_DATA_DECODER = msgspec.json.Decoder(dict[str, Any], float_hook=_no_floats)
_DATA_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError, TypeError)


def check_line(line: bytes) -> CheckedLine:
    """trail.check_line, fast: one exported line judged on its own. A line that settles holds;
    any other is judged by the reference rules."""
    held = settled(line)
    if held is None:
        return trail.check_line(line)
    return CheckedLine(*held, None)


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


class FastTrailCheck(TrailCheck):
    """TrailCheck, fast: the same findings, line for line, for exports and for the stored trail."""

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
        as a StoredLine with its data decoded; stops at the first that does not. `typed`: the
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
                    event = StoredLine(
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
            yield StoredLine(*(checked.event[name] for name in STORED_NAMES))  # type: ignore[index]


def check_trail(lines: Iterable[bytes], checkpoints: Sequence[Checkpoint] = ()) -> FastTrailCheck:
    walk = FastTrailCheck(checkpoints)
    walk.feed_all(lines)
    walk.finish()
    return walk
