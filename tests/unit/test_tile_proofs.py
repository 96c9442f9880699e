"""domain/tile_proofs.py against the tree grown leaf by leaf (merkle.append): the tiles of a tree
make its root, the consistency proof built from them is the one RFC 9162 checks, and tiles that
lie, or a tree that is not an extension, are refused."""

from __future__ import annotations

import hashlib

import pytest

from licensing.domain import merkle
from licensing.domain.merkle import TILE_HEIGHT, TILE_WIDTH, Tile
from licensing.domain.tile_proofs import (
    ProofRefused,
    TiledTree,
    TilesRefused,
    check_entries,
    check_entry,
    check_growth,
    read_entries,
    tile_for,
)

LEAVES = 66_000  # past 2**16: three tile levels


def _grow(count: int) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """Leaf data, the stored row of each leaf, and the root after each size (roots[n])."""
    data = [hashlib.sha256(str(i).encode()).digest() for i in range(count)]
    frontier: list[bytes] = []
    rows, roots = [], [merkle.EMPTY_ROOT]
    for i, d in enumerate(data):
        frontier, row = merkle.append(frontier, i, d)
        rows.append(row)
        roots.append(merkle.root(frontier))
    return data, rows, roots


DATA, ROWS, ROOTS = _grow(LEAVES)


def served(size: int, lie: Tile | None = None) -> TiledTree:
    def fetch(tile: Tile) -> bytes:
        assert tile.within(size) and tile == tile_for(tile.nodes()[-1], size)
        hashes = []
        for node in tile.nodes():
            leaf, level = merkle.stored_at(node)
            hashes.append(ROWS[leaf][32 * level : 32 * (level + 1)])
        body = b"".join(hashes)
        return bytes([body[0] ^ 1]) + body[1:] if tile == lie else body

    return TiledTree(size, fetch)


PAIRS = [(0, 1), (1, 2), (3, 7), (255, 256), (256, 257), (300, 600), (511, 513), (600, 600)]
PAIRS += [(1000, 65_536), (65_535, 65_537), (40_000, LEAVES), (0, LEAVES)]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_tiles_make_the_root_and_prove_growth(old: int, new: int) -> None:
    tree = served(new)
    assert tree.root() == ROOTS[new]
    check_growth(old, ROOTS[old], tree, ROOTS[new])
    check_entries(tree, old, ROOTS[old], DATA[old:new], ROOTS[new])
    if old:
        check_entry(tree, old - 1, DATA[old - 1], ROOTS[new])


def test_a_tree_that_does_not_hold_the_kept_one_is_a_fork() -> None:
    with pytest.raises(ProofRefused, match="old root"):
        check_growth(300, ROOTS[299], served(600), ROOTS[600])
    with pytest.raises(ProofRefused, match="two different roots"):
        check_growth(600, ROOTS[599], served(600), ROOTS[600])


def test_tiles_that_do_not_make_the_signed_root_are_refused() -> None:
    lying = served(600, lie=Tile(1, 0, 2))
    with pytest.raises(TilesRefused, match="do not make the signed root"):
        check_growth(300, ROOTS[300], lying, ROOTS[600])


def test_an_entry_that_is_not_its_leaf_is_refused() -> None:
    entries = [*DATA[300:599], b"\x00" * 32]
    with pytest.raises(TilesRefused, match="entry 599 does not hash"):
        check_entries(served(600), 300, ROOTS[300], entries, ROOTS[600])
    with pytest.raises(TilesRefused, match="entry 299 is not in the signed tree"):
        check_entry(served(600), 299, DATA[298], ROOTS[600])


def test_a_node_is_read_from_the_tile_at_its_level_at_the_trees_width() -> None:
    assert tile_for((0, 599), 600) == Tile(0, 2, 88)
    assert tile_for((3, 10), 600) == Tile(0, 0, TILE_WIDTH)
    assert tile_for((TILE_HEIGHT, 1), 600) == Tile(1, 0, 2)
    assert tile_for((2 * TILE_HEIGHT, 0), LEAVES) == Tile(2, 0, 1)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"\x00\x20" + b"x" * 32, "holds 1 entries, not 2"),
        (b"\x00\x20" + b"x" * 32 + b"\x00", "ends inside an entry's length"),
        (b"\x00\x20" + b"x" * 32 + b"\x00\x20" + b"x", "ends inside an entry"),
    ],
)
def test_an_entry_bundle_is_read_strictly(body: bytes, says: str) -> None:
    with pytest.raises(TilesRefused, match=says):
        read_entries(body, Tile(0, 0, 2))
