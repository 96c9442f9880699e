"""The trail as a transparency log, read: the tree's size and root, inclusion and consistency
proofs, tiles and entry bundles (C2SP tlog-tiles). Every read is a few rows, whatever the size.

The tree's rows are append-only and a node is written with the event that completes it, so any
node of a tree no larger than the head read is there and final: a proof or a tile needs no
snapshot beyond the read of the head it is for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from licensing.database import public_read_engine
from licensing.domain import merkle
from licensing.domain.errors import InvalidFields
from licensing.domain.merkle import Node, Tile
from licensing.models import AuditEvent, ChainHead, LogNode

_HEAD = select(ChainHead.seq, ChainHead.tree).where(ChainHead.id == 1)
_NODES = select(LogNode.leaf, LogNode.hashes).where(
    LogNode.leaf.in_(bindparam("leaves", expanding=True))
)
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


def tree_head(connection: Connection | None = None) -> TreeHead:
    """The tree as the chain head leaves it: every acknowledged event is in it."""
    with _connected(connection) as c:
        return _head(c)


def inclusion(seq: int, size: int | None = None) -> tuple[TreeHead, InclusionProof]:
    """The proof that the event `seq` is in the tree of `size` (default: the current tree), with
    the current tree head; InvalidFields naming the parameter a tree cannot answer."""
    with _connected() as c:
        head = _head(c)
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
        nodes = _nodes(c, merkle.nodes_of([*ranges, (0, size)]))
    root = merkle.range_hash(0, size, nodes)
    hashes = [merkle.range_hash(*r, nodes) for r in ranges]
    return head, InclusionProof(seq - 1, size, root, hashes)


def consistency(old: int, new: int) -> ConsistencyProof:
    """The proof that the tree of `new` events extends the tree of `old`."""
    with _connected() as c:
        head = _head(c)
        if new > head.size:
            message = f"The tree holds {head.size} events; there is no tree of {new}."
            raise InvalidFields({"to": [message]})
        if old > new:
            raise InvalidFields({"from": [f"A tree of {new} cannot extend a larger one."]})
        ranges = merkle.consistency_ranges(old, new)
        nodes = _nodes(c, merkle.nodes_of(ranges))
    return ConsistencyProof(old, new, [merkle.range_hash(*r, nodes) for r in ranges])


def tile(level: int, index: int, width: int) -> bytes:
    """The tile's hashes, joined (C2SP tlog-tiles); TileNotFound when the tree does not hold it."""
    wanted = Tile(level, index, width)
    with _connected() as c:
        if not wanted.within(_head(c).size):
            raise TileNotFound(wanted)
        nodes = wanted.nodes()
        if level == 0:  # the leaves' own rows, in a run
            rows = c.execute(_RUN, {"first": index * 256, "end": index * 256 + width})
            return b"".join(bytes(hashes[: merkle.HASH_SIZE]) for (hashes,) in rows)
        found = _nodes(c, nodes)
    return b"".join(found[node] for node in nodes)


def entries(index: int, width: int) -> bytes:
    """The entry bundle: each leaf's data (the event's hash, 32 bytes) after its length as a
    big-endian uint16."""
    with _connected() as c:
        if not Tile(0, index, width).within(_head(c).size):
            raise TileNotFound(("entries", index, width))
        first = index * merkle.TILE_WIDTH
        hashes = c.execute(_LEAVES, {"first": first, "last": first + width}).scalars()
        return b"".join(b"\x00\x20" + bytes.fromhex(h) for h in hashes)


def _head(c: Connection) -> TreeHead:
    size, tree = c.execute(_HEAD).one()
    return TreeHead(size, merkle.root(merkle.split(bytes(tree))))


def _nodes(c: Connection, wanted: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of `wanted` nodes, in one query."""
    where = {node: merkle.stored_at(node) for node in wanted}
    leaves = sorted({leaf for leaf, _ in where.values()})
    rows: Mapping[int, bytes] = {  # noqa: C416 (a Row is not a pair to dict())
        leaf: hashes for leaf, hashes in c.execute(_NODES, {"leaves": leaves})
    }
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
