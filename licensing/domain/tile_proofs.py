"""A log read from its C2SP tlog-tiles alone, by a client that takes no proof on trust: which tile
of a tree holds a node, tiles and entry bundles read strictly, a tree's hashes recomputed from
its tiles, and the rules a monitor applies to them: that the tiles are the signed tree's, that
the signed tree extends the one kept (RFC 9162 consistency, the proof built from tile hashes),
and that the entries are the tree's leaves.

A node at tree level `h` is in the tile at level `h // 8`: as itself when `h` is a multiple of 8,
else as the `2**(h % 8)` hashes it is made of, which are aligned within one tile."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from licensing.domain import merkle
from licensing.domain.merkle import HASH_SIZE, TILE_HEIGHT, TILE_WIDTH, Node, ProofRefused, Tile

__all__ = [
    "ProofRefused",
    "TiledTree",
    "TilesRefused",
    "check_entries",
    "check_entry",
    "check_growth",
    "read_entries",
    "read_tile",
    "tile_for",
]


class TilesRefused(ValueError):
    """A tile or entry bundle that is not what the signed tree of that size serves."""


def tile_for(node: Node, size: int) -> Tile:
    """The tile of the tree of `size` leaves (at that tree's width) holding `node`."""
    if not merkle.complete(node, size):
        raise ValueError(f"node {node} is not complete in a tree of {size} leaves")
    level, index = node
    tile_level = level // TILE_HEIGHT
    first = index << (level - TILE_HEIGHT * tile_level)  # its first hash at level 8 * tile_level
    n = first // TILE_WIDTH
    width = min(TILE_WIDTH, (size >> (TILE_HEIGHT * tile_level)) - n * TILE_WIDTH)
    return Tile(tile_level, n, width)


def read_tile(data: bytes, tile: Tile) -> list[bytes]:
    """A tile's hashes: exactly `width` of them, 32 bytes each."""
    if len(data) != tile.width * HASH_SIZE:
        raise TilesRefused(
            f"tile {tile.level}/{merkle.tile_path(tile.index, tile.width)} is {len(data)} bytes, "
            f"not {tile.width} hashes of {HASH_SIZE}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def read_entries(data: bytes, tile: Tile) -> list[bytes]:
    """An entry bundle's entries: exactly `width` of them, each after its big-endian uint16
    length, and nothing after the last."""
    entries, at = [], 0
    where = f"entry bundle {merkle.tile_path(tile.index, tile.width)}"
    while at < len(data):
        if at + 2 > len(data):
            raise TilesRefused(f"{where} ends inside an entry's length")
        length = int.from_bytes(data[at : at + 2], "big")
        if at + 2 + length > len(data):
            raise TilesRefused(f"{where} ends inside an entry")
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    if len(entries) != tile.width:
        raise TilesRefused(f"{where} holds {len(entries)} entries, not {tile.width}")
    return entries


class TiledTree:
    """The hashes of the tree of `size` leaves, computed from its tiles; `fetch` hands a tile's
    bytes, and each tile is fetched once. Nothing read is trusted until check_growth has tied it
    to a signed root."""

    def __init__(self, size: int, fetch: Callable[[Tile], bytes]) -> None:
        self.size = size
        self._fetch = fetch
        self._tiles: dict[Tile, list[bytes]] = {}

    def tile(self, tile: Tile) -> list[bytes]:
        if tile not in self._tiles:
            self._tiles[tile] = read_tile(self._fetch(tile), tile)
        return self._tiles[tile]

    def node(self, node: Node) -> bytes:
        tile = tile_for(node, self.size)
        level, index = node
        shift = level - TILE_HEIGHT * tile.level
        first = (index << shift) - tile.index * TILE_WIDTH
        row = self.tile(tile)[first : first + (1 << shift)]
        while len(row) > 1:
            row = [merkle.node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]

    def range_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end) (a range as proofs and roots use them)."""
        if start == end:
            return merkle.EMPTY_ROOT
        wanted = merkle.nodes_of([(start, end)])
        return merkle.range_hash(start, end, {node: self.node(node) for node in wanted})

    def root(self) -> bytes:
        return self.range_hash(0, self.size)

    def frontier(self, size: int) -> list[bytes]:
        """The frontier of the tree's first `size` leaves."""
        return [self.node(node) for node in merkle.frontier_nodes(size)]

    def consistency_proof(self, old: int) -> list[bytes]:
        """The RFC 9162 proof that this tree extends its first `old` leaves, from its tiles."""
        return [self.range_hash(*r) for r in merkle.consistency_ranges(old, self.size)]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        return [self.node((0, leaf)) for leaf in range(start, end)]

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The RFC 9162 inclusion path of leaf `index`, from its tiles."""
        return [self.range_hash(*r) for r in merkle.inclusion_ranges(index, self.size)]


def check_growth(old: int, old_root: bytes, tree: TiledTree, new_root: bytes) -> None:
    """That the signed tree (tree.size leaves, `new_root`) extends the kept one (`old` leaves,
    `old_root`), from tiles alone. TilesRefused when the tiles do not make the signed root (they
    are not the signed tree's: nothing is proven either way); ProofRefused when they do but the
    consistency proof built from them fails: the signed tree does not hold the kept one, a fork."""
    if tree.size < old:
        raise ValueError("the kept tree is larger: a shrink, not growth")
    if tree.size == old:
        merkle.check_consistency(old, old, old_root, new_root, [])
        return
    if tree.root() != new_root:
        raise TilesRefused(f"the tiles do not make the signed root of the tree of {tree.size}")
    merkle.check_consistency(old, tree.size, old_root, new_root, tree.consistency_proof(old))


def check_entries(
    tree: TiledTree, old: int, old_root: bytes, entries: Sequence[bytes], new_root: bytes
) -> None:
    """That `entries` are the tree's leaves `old` onwards, to its end: each hashes to its level-0
    tile hash, and appended to the kept tree's frontier they make the signed root (so they are
    the signed tree's, whatever the tiles say)."""
    if old + len(entries) != tree.size:
        raise TilesRefused(f"{len(entries)} entries do not take a tree of {old} to {tree.size}")
    for leaf, (entry, tiled) in enumerate(
        zip(entries, tree.leaf_hashes(old, tree.size), strict=True), start=old
    ):
        if merkle.leaf_hash(entry) != tiled:
            raise TilesRefused(f"entry {leaf} does not hash to its level-0 tile's leaf hash")
    frontier = tree.frontier(old)
    if merkle.root(frontier) != old_root:
        # check_growth held, so the kept tree is in the signed one: it is the tiles that disagree
        raise TilesRefused(f"the tiles' first {old} leaves do not make the kept root")
    for size, entry in enumerate(entries, start=old):
        frontier, _ = merkle.append(frontier, size, entry)
    if merkle.root(frontier) != new_root:
        raise TilesRefused(f"the entries do not make the signed root of the tree of {tree.size}")


def check_entry(tree: TiledTree, index: int, entry: bytes, root: bytes) -> None:
    """That `entry` is leaf `index` of the signed tree (`root`): its inclusion path, from tiles."""
    try:
        merkle.check_inclusion(
            index, tree.size, merkle.leaf_hash(entry), tree.inclusion_proof(index), root
        )
    except ProofRefused as refused:
        raise TilesRefused(f"entry {index} is not in the signed tree: {refused}") from None
