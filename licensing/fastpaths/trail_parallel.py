"""Checking a large exported trail on every core, with exactly the result of check_trail.

Each line's own check (decode into the typed event, canonical re-encode, SHA-256 against its
hash) depends on no other line; only the links between lines (seq one more, prev the hash before)
and the kept checkpoints are sequential, and those are cheap comparisons. So a regular file is cut
at newlines into byte ranges; a worker process reads its own range and settles it when every line
holds on the fast path, links to the line before it within the range and reproduces any kept
checkpoint it reaches; it hands back only a summary (lines, first seq and prev, last seq and hash).
The parent links the summaries in order into the TrailCheck state, exactly as TrailCheck.feed_all
would have advanced it. The file's first line, and everything from the first range that is not
settled or does not link on, go through the sequential walk, so a finding (its line, seq and
problem) is the one check_trail gives. Small files, pipes and one CPU: the sequential walk."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import BinaryIO, NamedTuple

from licensing.domain.trail import Checkpoint
from licensing.fastpaths.trail_walk import FastTrailCheck, settled

MIN_SIZE = 8 << 20  # bytes: below this the sequential walk is as quick as starting processes
RANGE_SIZE = 16 << 20  # bytes a worker checks at a time (several per worker balance the load)
MAX_WORKERS = 8


class Settled(NamedTuple):
    """A range in which every line holds and links to the one before it."""

    lines: int
    first_seq: int
    first_prev: str
    last_seq: int
    last_hash: str


def check_export(
    file: BinaryIO,
    checkpoints: Sequence[Checkpoint] = (),
    *,
    workers: int | None = None,
    range_size: int = RANGE_SIZE,
    min_size: int = MIN_SIZE,
) -> FastTrailCheck:
    """check_trail over an open binary file, from its current position, on several processes when
    it is a large regular file on a machine with more than one CPU."""
    walk = FastTrailCheck(checkpoints)
    path, start, end = _regular_file(file)
    workers = _cpus() if workers is None else workers
    if path is None or workers < 2 or end - start < min_size:
        walk.feed_all(file)
        walk.finish()
        return walk
    first = file.readline()  # the first line starts the chain: the sequential walk judges it
    if first and walk.feed_all([first]):
        position = start + len(first)
        cuts = _cuts(file, position, end, max(workers, -(-(end - position) // range_size)))
        ranges = list(itertools.pairwise(cuts))
        if ranges:
            with ProcessPoolExecutor(min(workers, len(ranges))) as pool:
                kept = walk.checkpoints
                checks = [pool.submit(_check_range, path, a, b, kept) for a, b in ranges]
                for (_, stop), check in zip(ranges, checks, strict=True):
                    if not _link(walk, check.result()):
                        for waiting in checks:
                            waiting.cancel()
                        break
                    position = stop
        file.seek(position)  # from the first range that did not settle: line by line
        walk.feed_all(file)
    walk.finish()
    return walk


def _link(walk: FastTrailCheck, summary: Settled | None) -> bool:
    """Advance the walk over a settled range that links on, as feed_all would; False otherwise."""
    if summary is None or (summary.first_seq, summary.first_prev) != (walk._next, walk._prev):
        return False
    walk.lines += summary.lines
    walk._next, walk._prev = summary.last_seq + 1, summary.last_hash
    return True


def _check_range(path: str, start: int, end: int, kept: dict[int, str]) -> Settled | None:
    """The summary of the lines in [start, end) of the file, or None when any of them does not
    settle on the fast path (feed_all's), link to the one before it, or reproduce a kept
    checkpoint."""
    lines = 0
    first_seq = first_prev = next_seq = prev = None
    with open(path, "rb") as file:
        file.seek(start)
        left = end - start
        for line in file:
            left -= len(line)
            if left < 0:
                return None  # the file changed under us: let the sequential walk judge it
            held = settled(line)
            if held is None:
                return None
            seq, links_to, claimed = held
            if first_seq is None:
                first_seq, first_prev = seq, links_to
            elif seq != next_seq or links_to != prev:
                return None
            if kept and seq in kept and kept[seq] != claimed:
                return None
            lines += 1
            next_seq, prev = seq + 1, claimed
            if left == 0:
                break
    if left or first_seq is None:
        return None
    return Settled(lines, first_seq, first_prev, next_seq - 1, prev)  # type: ignore[arg-type, operator]


def _regular_file(file: BinaryIO) -> tuple[str | None, int, int]:
    """The path, current position and size of a regular file that its name still opens; no path
    for a pipe, standard input or anything else."""
    try:
        name, info = file.name, os.fstat(file.fileno())
        if not isinstance(name, str) or not stat.S_ISREG(info.st_mode):
            return None, 0, 0
        named = os.stat(name)
        if (named.st_dev, named.st_ino) != (info.st_dev, info.st_ino):
            return None, 0, 0
        return os.path.abspath(name), file.tell(), info.st_size
    except (AttributeError, OSError, ValueError):
        return None, 0, 0


def _cuts(file: BinaryIO, start: int, end: int, pieces: int) -> list[int]:
    """Offsets from start to end, each just after a newline, cutting [start, end) into at most
    `pieces` ranges of about the same size."""
    cuts = [start]
    for i in range(1, pieces):
        target = start + (end - start) * i // pieces
        if target <= cuts[-1]:
            continue
        file.seek(target - 1)
        cut = target - 1 + len(file.readline())  # just after the next newline at or past target-1
        if cuts[-1] < cut < end:
            cuts.append(cut)
    cuts.append(end)
    return cuts if end > start else [start]


def _cpus() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:
        count = os.cpu_count() or 1
    return min(count, MAX_WORKERS)
