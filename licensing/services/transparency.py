"""The trail as a transparency log, read: the tree's size and root, inclusion and consistency
proofs, tiles and entry bundles (C2SP tlog-tiles). Every read is a few rows, whatever the size.

The tree's rows are append-only and a node is written with the event that completes it, so any
node of a tree no larger than the head read is there and final: a proof or a tile needs no
snapshot beyond the read of the head it is for."""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from time import monotonic
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from licensing.database import public_read_engine
from licensing.domain import merkle, notes
from licensing.domain.errors import InvalidFields
from licensing.domain.merkle import Node, Tile
from licensing.domain.transparency import LogSettings
from licensing.fastpaths.single_read import SingleRead
from licensing.models import AuditEvent, ChainHead, LogCosignature, LogNode, SigningKey
from licensing.services.signing import Signer
from licensing.services.transaction import commits

_HEAD = select(ChainHead.seq, ChainHead.tree).where(ChainHead.id == 1)
# The rows of a few leaves, in one statement outside a transaction: the leaves as an array on
# PostgreSQL, as a JSON array on SQLite (one statement text, whatever their number).
_ROWS = select(LogNode.leaf, LogNode.hashes)
_NODES = {
    "postgresql": SingleRead(
        _ROWS.where(LogNode.leaf == any_(bindparam("leaves", type_=ARRAY(BigInteger))))
    ),
    "sqlite": SingleRead(
        _ROWS.where(
            LogNode.leaf.in_(
                select(literal_column("value")).select_from(
                    func.json_each(bindparam("leaves", type_=String))
                )
            )
        )
    ),
}
_RUN = (
    select(LogNode.hashes)
    .where(LogNode.leaf >= bindparam("first"), LogNode.leaf < bindparam("end"))
    .order_by(LogNode.leaf)
)
_LEAVES = (
    select(AuditEvent.hash)
    .where(AuditEvent.seq > bindparam("first"), AuditEvent.seq <= bindparam("last"))
    .order_by(AuditEvent.seq)
)
_COSIGNATURES = select(LogCosignature.witness, LogCosignature.line).where(
    LogCosignature.size == bindparam("size"),
    LogCosignature.witness.in_(bindparam("names", expanding=True)),
)
_RECENT_COSIGNED = (
    select(LogCosignature.size, LogCosignature.witness, LogCosignature.line)
    .where(LogCosignature.witness.in_(bindparam("names", expanding=True)))
    .order_by(LogCosignature.size.desc())
    .limit(bindparam("n"))
)
MAX_SIZE = 2**63 - 1  # the largest tree size anyone may name: a BIGINT


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    root: bytes
    hashes: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    old: int
    new: int
    hashes: list[bytes]


class TileNotFound(LookupError):
    """A tile or entry bundle the tree does not hold (yet, or at that width)."""


class LogRewound(RuntimeError):
    """The tree is not an extension of a tree this signing key already signed (the database was
    restored from an older backup, or altered): signing it would publish a fork."""


class NotYetCosigned(LookupError):
    """No checkpoint has yet been cosigned by as many witnesses as the quorum asks."""


@dataclass(frozen=True)
class SignedCheckpoint:
    size: int
    root: bytes
    note: str  # the signed note: the log's signature, then each cosignature held for it
    witnesses: tuple[str, ...]  # who cosigned it


# What is signed and shown


def log_vkey(signer: Signer, settings: LogSettings) -> str:
    """The vkey of the log's current signing key: its key name is the origin."""
    return notes.vkey(settings.origin, signer.current().private.public_key())


def retired_vkeys(settings: LogSettings) -> list[str]:
    """The vkeys of keys the log signed with before the current one."""
    return _recent.get(("retired", settings.origin), lambda: _retired_vkeys(settings))  # type: ignore[no-any-return]


def _retired_vkeys(settings: LogSettings) -> list[str]:
    with _connected() as c:
        jwks = c.execute(
            select(SigningKey.public_jwk)
            .where(SigningKey.retired_at.is_not(None))
            .order_by(SigningKey.retired_at)
        ).scalars()
        return [notes.vkey(settings.origin, _public(jwk)) for jwk in jwks]


def checkpoint(signer: Signer, settings: LogSettings) -> SignedCheckpoint:
    """The checkpoint /log/checkpoint serves: the current tree, with the cosignatures held for it;
    with a quorum, the newest tree that many of the witnesses named cosigned (NotYetCosigned when
    there is none). Kept by this process for at most FRESH seconds, as C2SP tlog-tiles lets a
    checkpoint be cached for a few."""
    kid = signer.current().kid
    return _recent.get(("checkpoint", kid), lambda: _checkpoint(signer, settings))


def _checkpoint(signer: Signer, settings: LogSettings) -> SignedCheckpoint:
    with _connected() as c:
        if settings.quorum:
            size = _quorum_size(c, settings)
            if size is None:
                raise NotYetCosigned(settings.quorum)
            root = merkle.range_hash(0, size, _nodes(merkle.nodes_of([(0, size)])))
            return _signed(c, TreeHead(size, root), signer, settings)
        return _signed(c, _head(c), signer, settings)


def checkpoint_at_least(size: int, signer: Signer, settings: LogSettings) -> SignedCheckpoint:
    """The checkpoint served, if it holds `size` events; else the current tree's (every event
    acknowledged is in it, witnessed or not yet)."""
    try:
        served = checkpoint(signer, settings)
    except NotYetCosigned:
        served = None
    if served is not None and served.size >= size:
        return served
    with _connected() as c:
        return _signed(c, _head(c), signer, settings)


def signed_note(
    head: TreeHead, signer: Signer, settings: LogSettings, connection: Connection | None = None
) -> str:
    """The log's checkpoint of `head` as a signed note, its own signature only; LogRewound when
    the key already signed a tree this one does not extend."""
    key = signer.current()
    body = checkpoint_body(settings, head.size, head.root)
    note = _signed_before.get((key.kid, body))
    if note is None:
        with _connected(connection) as c:
            _high_water(signer).extend(head, _head(c).size, lambda size: _root_at(c, size))
        note = _sign(key.private, settings.origin, body)
        _signed_before[key.kid, body] = note
        if len(_signed_before) > 1024:
            _signed_before.pop(next(iter(_signed_before), None), None)  # type: ignore[arg-type]
    return note


def statement_proof(token: str, seq: int, signer: Signer, settings: LogSettings) -> str:
    """A C2SP tlog-proof of a statement: the compact JWS as its extra data, the inclusion path of
    its event (seq) and a signed checkpoint of a tree that holds it."""
    cp = checkpoint_at_least(seq, signer, settings)
    _, proof = inclusion(seq, cp.size)
    if proof.root != cp.root:  # the stored tree disagrees with itself: never serve that
        raise LookupError(f"the tree of {cp.size} has two roots")
    tlog = notes.TlogProof(token.encode(), seq - 1, tuple(proof.hashes), cp.note)
    return notes.format_tlog_proof(tlog)


def _signed(
    c: Connection, head: TreeHead, signer: Signer, settings: LogSettings
) -> SignedCheckpoint:
    note = signed_note(head, signer, settings)
    body = checkpoint_body(settings, head.size, head.root)
    lines, names = [], []
    if settings.witnesses:
        known = {w.name: w for w in settings.witnesses}
        held = c.execute(_COSIGNATURES, {"size": head.size, "names": list(known)}).all()
        for witness, line in sorted(held):
            if cosigned(line, body, known[witness].vkey):
                lines.append(_as_line(line))
                names.append(witness)
    return SignedCheckpoint(head.size, head.root, note + "".join(lines), tuple(names))


def _quorum_size(c: Connection, settings: LogSettings) -> int | None:
    """The newest size that `quorum` of the named witnesses cosigned with a cosignature that
    holds for their keys as configured now, among the latest ones kept."""
    known = {w.name: w.vkey for w in settings.witnesses}
    recent = c.execute(_RECENT_COSIGNED, {"names": list(known), "n": 64 * len(known)}).all()
    by_size: dict[int, list[tuple[str, str]]] = {}
    for size, witness, line in recent:
        by_size.setdefault(size, []).append((witness, line))
    for size in sorted(by_size, reverse=True):
        if len(by_size[size]) < settings.quorum:
            continue
        body = checkpoint_body(settings, size, _root_at(c, size))
        holding = {
            witness for witness, line in by_size[size] if cosigned(line, body, known[witness])
        }
        if len(holding) >= settings.quorum:
            return size
    return None


def _sign(private: Ed25519PrivateKey, origin: str, body: str) -> str:
    return notes.sign(body, origin, private)


# Notes signed by this process, by key and checkpoint: Ed25519 is deterministic, so a checkpoint
# signed again is the same note, and the high-water mark was checked when it was first signed.
_signed_before: dict[tuple[str, str], str] = {}


def _root_at(c: Connection, size: int) -> bytes:
    return (
        merkle.range_hash(0, size, _nodes(merkle.nodes_of([(0, size)])))
        if size
        else merkle.EMPTY_ROOT
    )


def _high_water(signer: Signer) -> HighWater:
    return HighWater(Path(f"{signer.path}.signed-tree"))


class HighWater:
    """The largest tree a signing key has signed, kept in a file beside the key (a database
    restored from an older backup cannot take it back with it). The key signs a tree only while
    the database still holds that one: at least its size, and the same root at that size. Any
    tree it holds may then be signed, the largest raising the mark; a smaller one is a prefix of
    what was signed, as the checkpoint a witness quorum saw is. The file is replaced whole under
    an exclusive lock (on a file of its own), so processes sharing the key never lower it, and a
    file that is not exactly a mark refuses everything until the operator looks."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def extend(self, signing: TreeHead, current: int, root_at: Callable[[int], bytes]) -> None:
        """Before `signing` is signed, with the database's tree at size `current`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{self.path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            kept = self._kept()
            if kept is not None:
                size, root = kept
                if current < size:
                    raise LogRewound(
                        f"this key signed a tree of {size} events, but the database holds "
                        f"{current}: {size - current} signed events are missing"
                    )
                if (signing.root if signing.size == size else root_at(size)) != root:
                    raise LogRewound(f"the tree of {size} is not the one this key signed")
                if signing.size <= size:
                    return
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            with open(temporary, "w", encoding="ascii") as handle:
                handle.write(f"{signing.size} {base64.b64encode(signing.root).decode()}\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)

    def _kept(self) -> tuple[int, bytes] | None:
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise LogRewound(f"{self.path} cannot be read: {error}") from None
        parts = text.split()
        try:
            size, root = int(parts[0]), base64.b64decode(parts[1], validate=True)
            if len(parts) != 2 or not parts[0].isdigit() or len(root) != merkle.HASH_SIZE:
                raise ValueError
        except (ValueError, IndexError, binascii.Error):
            raise LogRewound(f"{self.path} is not a mark of a signed tree: see to it") from None
        return size, root


def checkpoint_body(settings: LogSettings, size: int, root: bytes) -> str:
    """The text of the log's checkpoint of the tree of `size` with `root`: what the log signs and
    witnesses cosign."""
    return notes.checkpoint_body(notes.Checkpoint(settings.origin, size, root))


@lru_cache(maxsize=4096)
def cosigned(line: str, body: str, vkey: str) -> bool:
    """Whether a stored cosignature line holds for the checkpoint `body` and the witness's key now
    configured (a witness whose key changed is not shown with its old lines)."""
    try:
        notes.verify_cosignature(_as_line(line), body, notes.parse_vkey(vkey))
    except notes.NoteRefused:
        return False
    return True


def _as_line(text: str) -> str:
    """A stored cosignature as a note's line, ending in its newline."""
    return text if text.endswith("\n") else text + "\n"


def _public(jwk_text: str) -> Ed25519PublicKey:
    x = json.loads(jwk_text)["x"]
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


def tree_head(connection: Connection | None = None) -> TreeHead:
    """The tree as the chain head leaves it: every acknowledged event is in it."""
    with _connected(connection) as c:
        return _head(c)


def published_head(at_least: int = 0) -> TreeHead:
    """The tree as this process last read it (at most FRESH seconds ago, and before none of its
    own writes), or read again when that is smaller than `at_least` (someone holds a newer
    checkpoint: another process served it)."""
    head: TreeHead = _recent.get("head", tree_head)
    if head.size < at_least:
        head = _recent.renew("head", tree_head)
    return head


def inclusion(seq: int, size: int | None = None) -> tuple[TreeHead, InclusionProof]:
    """The proof that the event `seq` is in the tree of `size` (default: the tree published),
    with that tree's head; InvalidFields naming the parameter a tree cannot answer."""
    head = published_head(at_least=max(size or 0, seq))
    size = head.size if size is None else size
    errors: dict[str, list[str]] = {}
    if size > head.size:
        errors["size"] = [f"The tree holds {head.size} events; there is no tree of {size}."]
    elif size < 1:
        errors["size"] = ["A tree that holds an event has at least one."]
    if seq > size:
        errors.setdefault("seq", []).append(f"There is no event {seq} in a tree of {size}.")
    if errors:
        raise InvalidFields(errors)
    ranges = merkle.inclusion_ranges(seq - 1, size)
    nodes = _nodes(merkle.nodes_of([*ranges, (0, size)]))
    root = merkle.range_hash(0, size, nodes)
    hashes = [merkle.range_hash(*r, nodes) for r in ranges]
    return head, InclusionProof(seq - 1, size, root, hashes)


def consistency(old: int, new: int) -> ConsistencyProof:
    """The proof that the tree of `new` events extends the tree of `old`."""
    head = published_head(at_least=new)
    if new > head.size:
        message = f"The tree holds {head.size} events; there is no tree of {new}."
        raise InvalidFields({"to": [message]})
    if old > new:
        raise InvalidFields({"from": [f"A tree of {new} cannot extend a larger one."]})
    ranges = merkle.consistency_ranges(old, new)
    nodes = _nodes(merkle.nodes_of(ranges))
    return ConsistencyProof(old, new, [merkle.range_hash(*r, nodes) for r in ranges])


def tile(level: int, index: int, width: int) -> bytes:
    """The tile's hashes, joined (C2SP tlog-tiles); TileNotFound when the tree does not hold it.
    A full tile never changes: this process keeps the last ones read."""
    return _immutable(("tile", level, index), width, lambda: _tile(level, index, width))


def _tile(level: int, index: int, width: int) -> bytes:
    wanted = Tile(level, index, width)
    if not wanted.within(published_head().size) and not wanted.within(_fresh_size()):
        raise TileNotFound(wanted)
    with _connected() as c:
        nodes = wanted.nodes()
        if level == 0:  # the leaves' own rows, in a run
            rows = c.execute(_RUN, {"first": index * 256, "end": index * 256 + width})
            return b"".join(bytes(hashes[: merkle.HASH_SIZE]) for (hashes,) in rows)
        found = _nodes(nodes)
    return b"".join(found[node] for node in nodes)


def entries(index: int, width: int) -> bytes:
    """The entry bundle: each leaf's data (the event's hash, 32 bytes) after its length as a
    big-endian uint16. A full bundle never changes: this process keeps the last ones read."""
    return _immutable(("entries", index), width, lambda: _entries(index, width))


def _entries(index: int, width: int) -> bytes:
    wanted = Tile(0, index, width)
    if not wanted.within(published_head().size) and not wanted.within(_fresh_size()):
        raise TileNotFound(("entries", index, width))
    with _connected() as c:
        first = index * merkle.TILE_WIDTH
        hashes = c.execute(_LEAVES, {"first": first, "last": first + width}).scalars()
        return b"".join(b"\x00\x20" + bytes.fromhex(h) for h in hashes)


def _fresh_size() -> int:
    return _recent.renew("head", tree_head).size


# What this process keeps of the log it reads


FRESH = 1.0  # seconds a published checkpoint (or the tree head) is reused before it is read again
FULL_TILES_KEPT = 1024  # 8 KiB each


@dataclass(frozen=True)
class _Kept:
    value: Any
    at: float
    commit: int


class _Recent:
    """Reads of the log this process reuses, per database: a mutable one (the head, the
    checkpoint) for at most FRESH seconds and never after a write this process committed (so a
    client sees its own writes at once); an immutable one (a full tile) for good, the last
    FULL_TILES_KEPT of them."""

    def __init__(self) -> None:
        self._mutable: WeakKeyDictionary[Engine, dict[Any, _Kept]] = WeakKeyDictionary()
        self._immutable: WeakKeyDictionary[Engine, OrderedDict[Any, bytes]] = WeakKeyDictionary()

    def get(self, key: Any, read: Callable[[], Any]) -> Any:
        kept = self._mutable.get(public_read_engine(), {}).get(key)
        if kept is not None and kept.commit == commits() and monotonic() - kept.at < FRESH:
            return kept.value
        return self.renew(key, read)

    def renew(self, key: Any, read: Callable[[], Any]) -> Any:
        commit, value = commits(), read()
        self._mutable.setdefault(public_read_engine(), {})[key] = _Kept(value, monotonic(), commit)
        return value

    def immutable(self, key: Any, read: Callable[[], bytes]) -> bytes:
        kept = self._immutable.setdefault(public_read_engine(), OrderedDict())
        value = kept.get(key)
        if value is None:
            value = kept[key] = read()
            if len(kept) > FULL_TILES_KEPT:
                kept.popitem(last=False)
        else:
            kept.move_to_end(key)
        return value


_recent = _Recent()


def _immutable(key: Any, width: int, read: Callable[[], bytes]) -> bytes:
    return _recent.immutable(key, read) if width == merkle.TILE_WIDTH else read()


def _head(c: Connection) -> TreeHead:
    size, tree = c.execute(_HEAD).one()
    return TreeHead(size, merkle.root(merkle.split(bytes(tree))))


def _nodes(wanted: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of `wanted` nodes, in one statement."""
    where = {node: merkle.stored_at(node) for node in wanted}
    leaves = sorted({leaf for leaf, _ in where.values()})
    dialect = public_read_engine().dialect.name
    given: Any = leaves if dialect == "postgresql" else json.dumps(leaves)
    rows = {row.leaf: row.hashes for row in _NODES[dialect].rows(leaves=given)}
    size = merkle.HASH_SIZE
    try:
        return {
            node: bytes(rows[leaf][size * level : size * (level + 1)])
            for node, (leaf, level) in where.items()
        }
    except KeyError as missing:
        raise LookupError(f"the tree has no row for leaf {missing}") from None


@contextmanager
def _connected(connection: Connection | None = None) -> Iterator[Connection]:
    """A connection to where public reads go (or the caller's)."""
    if connection is not None:
        yield connection
        return
    with public_read_engine().connect() as opened:
        yield opened
