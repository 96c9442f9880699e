"""The trail as an RFC 6962 Merkle tree (RFC 9162 section 2.1): hashing, how the tree grows, which
stored hashes a proof or a tile needs, and how anyone checks a proof.

Leaf `i` is the event with seq `i + 1`; its data is the 32 bytes of the event's hash.

What is stored. Appending leaf `i` completes the perfect subtrees whose last leaf it is: the leaf
itself (level 0) and one more level for each trailing 1 bit of `i`. Those hashes, lowest level
first, are stored together with the leaf (one row per event, whatever the tree's size), so the
node at level `h`, index `k` is found in the row of leaf `(k + 1) * 2**h - 1`. Every hash a
proof, a tile or a root needs is a perfect subtree or is made of at most log2(size) of them, so
each is O(log n) stored hashes read in one query.

The *frontier* of a tree is the hashes of its perfect subtrees for each set bit of its size, the
largest (leftmost) first: all the tree's root and the next append need, kept with the chain head.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # hashes in a full tile
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]  # (level, index): the perfect subtree of leaves [index * 2**level, ...)
Range = tuple[int, int]  # leaves [start, end)


class ProofRefused(ValueError):
    """A proof, a tree size or a root that does not hold, with the reason."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# How the tree grows


def append(frontier: Sequence[bytes], size: int, data: bytes) -> tuple[list[bytes], bytes]:
    """The frontier after appending leaf `size` (whose data is `data`) to the tree of `size`
    leaves with `frontier`, and the hashes that leaf completes, lowest level first, joined (the
    row stored for it)."""
    after = list(frontier)
    return after, grow(after, size, data)


def grow(frontier: list[bytes], size: int, data: bytes) -> bytes:
    """append(), changing `frontier` in place: for a walk over every leaf, which would otherwise
    copy the frontier once a leaf. Gives the hashes the leaf completes, joined."""
    carry = leaf_hash(data)
    completed = [carry]
    while size & 1:
        carry = node_hash(frontier.pop(), carry)
        completed.append(carry)
        size >>= 1
    frontier.append(carry)
    return b"".join(completed)


def root(frontier: Sequence[bytes]) -> bytes:
    """The tree's root from its frontier: the perfect subtrees folded from the right."""
    if not frontier:
        return EMPTY_ROOT
    result = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        result = node_hash(subtree, result)
    return result


def frontier_nodes(size: int) -> list[Node]:
    """The perfect subtrees a tree of `size` leaves is made of, the largest first."""
    return [(level, index) for index, level in _parts(0, size)]


def join(frontier: Sequence[bytes]) -> bytes:
    return b"".join(frontier)


def split(stored: bytes) -> list[bytes]:
    if len(stored) % HASH_SIZE:
        raise ValueError("a frontier is a whole number of hashes")
    return [stored[i : i + HASH_SIZE] for i in range(0, len(stored), HASH_SIZE)]


def stored_at(node: Node) -> tuple[int, int]:
    """Where node (level, index) is stored: the row of its last leaf, and its place in that row
    (its level: the row holds levels 0, 1, ... in order)."""
    level, index = node
    return ((index + 1) << level) - 1, level


def levels_completed(leaf: int) -> int:
    """How many hashes leaf `leaf`'s row holds: 1 + its trailing 1 bits."""
    return ((leaf ^ (leaf + 1)).bit_length() - 1) + 1


def complete(node: Node, size: int) -> bool:
    """Whether a tree of `size` leaves holds all of node `node`'s leaves."""
    level, index = node
    return (index + 1) << level <= size


# Proofs (RFC 9162 2.1.3.1 and 2.1.4.1) as the subtree ranges whose hashes they list


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make the inclusion proof of leaf `index` in a tree of `size`."""
    if not 0 <= index < size:
        raise ValueError("the leaf is not in the tree")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose hashes make the consistency proof from a tree of `old` leaves to one of
    `new` (empty when old is 0 or old equals new)."""
    if not 0 <= old <= new:
        raise ValueError("the old tree is larger than the new one")
    if old in (0, new):
        return []
    ranges: list[Range] = []
    start, end, whole = 0, new, True
    m = old
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = _split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    return ranges[::-1]


def nodes_of(ranges: Iterable[Range]) -> set[Node]:
    """The perfect subtrees (stored nodes) the hashes of `ranges` are made of."""
    return {(level, index) for start, end in ranges for index, level in _parts(start, end)}


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH of leaves [start, end) from the stored hashes of its perfect subtrees (`start` a
    multiple of the power of two at least `end - start`, as every range of a proof is)."""
    parts = [nodes[level, index] for index, level in _parts(start, end)]
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = node_hash(part, result)
    return result


def _split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _parts(start: int, end: int) -> list[tuple[int, int]]:
    """Leaves [start, end) as aligned perfect subtrees, left to right: (index, level) each."""
    parts = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        parts.append((start >> level, level))
        start += 1 << level
    return parts


# Checking proofs (RFC 9162 2.1.3.2 and 2.1.4.2), for anyone holding one


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a tree of `size` must have for `proof` to show leaf hash `leaf` at `index`;
    ProofRefused when the proof cannot be one (wrong length, index outside the tree)."""
    if not 0 <= index < size:
        raise ProofRefused(f"leaf {index} is not in a tree of size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofRefused("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofRefused("the inclusion proof is shorter than the tree is deep")
    return r


def check_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> None:
    if root_from_inclusion(index, size, leaf, proof) != expected_root:
        raise ProofRefused(f"leaf {index} is not in the tree of size {size} with that root")


def check_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """That the tree of `new` leaves with `new_root` extends the one of `old` with `old_root`."""
    if old < 0 or new < old:
        raise ProofRefused(f"a tree of size {new} cannot extend one of size {old}")
    if old == new:
        if proof:
            raise ProofRefused("a proof between two trees of one size is empty")
        if old_root != new_root:
            raise ProofRefused(f"two different roots for the tree of size {old}")
        return
    if old == 0:
        if proof:
            raise ProofRefused("a proof from the empty tree is empty")
        return
    if not proof:
        raise ProofRefused("the consistency proof is empty")
    hashes = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root starts the path
        hashes.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = hashes[0]
    for c in hashes[1:]:
        if sn == 0:
            raise ProofRefused("the consistency proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofRefused("the consistency proof is shorter than the trees are deep")
    if fr != old_root:
        raise ProofRefused(f"the proof does not lead to the old root (size {old})")
    if sr != new_root:
        raise ProofRefused(f"the proof does not lead to the new root (size {new})")


# Tiles (C2SP tlog-tiles): tile `n` at level `l` holds the hashes of the perfect subtrees at tree
# level 8l, indices 256n .. 256n + 255


@dataclass(frozen=True)
class Tile:
    level: int  # 0 to 63; "entries" bundles are level None
    index: int
    width: int  # 1 to 256; 256 is a full tile

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    def nodes(self) -> list[Node]:
        base = self.index * TILE_WIDTH
        return [(TILE_HEIGHT * self.level, base + i) for i in range(self.width)]

    def within(self, size: int) -> bool:
        """Whether a tree of `size` leaves holds this tile (at this width)."""
        available = size >> (TILE_HEIGHT * self.level)
        return self.index * TILE_WIDTH + self.width <= available


def tile_path_index(segments: str) -> tuple[int, int | None]:
    """N and the optional width W from `x001/x234/067[.p/W]`; ValueError when it is not exactly
    in the specification's form (no leading zeros in W, 3 digits per segment, x on all but the
    last)."""
    width: int | None = None
    if ".p/" in segments:
        segments, _, raw = segments.partition(".p/")
        if (
            not raw.isascii()
            or not raw.isdigit()
            or len(raw) > 3
            or raw != str(int(raw))
            or not 1 <= int(raw) <= 255
        ):
            raise ValueError(
                "a partial tile's width is 1 to 255, in decimal, without leading zeros"
            )
        width = int(raw)
    parts = segments.split("/")
    if len(parts) > 8:
        raise ValueError("too many path elements in a tile index")
    digits = []
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        body = part if last else part.removeprefix("x")
        if (
            (not last and not part.startswith("x"))
            or len(body) != 3
            or not body.isascii()
            or not body.isdigit()
        ):
            raise ValueError("a tile index is 3-digit path elements, each but the last after x")
        digits.append(body)
    if len(digits) > 1 and digits[0] == "000":
        raise ValueError("a tile index has no leading zero elements")
    return int("".join(digits)), width


def tile_path(index: int, width: int | None = None) -> str:
    """`x001/x234/067` for 1234067, with `.p/W` for a partial tile."""
    text = f"{index % 1000:03d}"
    index //= 1000
    while index:
        text = f"x{index % 1000:03d}/{text}"
        index //= 1000
    return text if width is None or width == TILE_WIDTH else f"{text}.p/{width}"
