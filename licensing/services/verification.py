"""Verification in the database: the hash chain, and the register (the licences table) against the
replay of its events, both read from one snapshot."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, BinaryIO

import msgspec
from sqlalchemy import Connection, LargeBinary, Select, cast, func, literal, select, type_coerce

from licensing.domain import checkpoints, log_proofs, merkle, notes
from licensing.domain.chain import GENESIS
from licensing.domain.decider import LicenceEvent, LicenceState
from licensing.domain.log_proofs import LogKeys
from licensing.domain.policy import Policy
from licensing.domain.replay import ROW_FIELDS, RegisterReplay, ReplayRefused
from licensing.domain.replay import differences as row_differences
from licensing.domain.trail import Finding, TrailCheck
from licensing.fastpaths.feed_items import FeedRows
from licensing.fastpaths.trail_parallel import check_export
from licensing.fastpaths.trail_walk import FastTrailCheck
from licensing.models import AuditEvent, ChainHead, Change, Licence, LogNode, db
from licensing.services.audit_trail import COLUMNS, ROWS_PER_FETCH

# PostgreSQL streams the walk in chunks of this many rows while the last chunk is checked
ROWS_PER_CHUNK = 5000


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    head: dict[str, Any] | None  # the last event that holds
    first_bad_seq: int | None
    first_bad_licence: str | None
    problem: str | None


@dataclass(frozen=True)
class _Disagreement:
    licence: str
    problem: str


def verify(policy: Policy) -> Verification:
    """Walk the whole chain: every line's hash, every link, every column against its line, the
    head row against the last event; in the same walk, the Merkle tree recomputed from the
    events against every stored hash, and every change feed row against the public projection
    of its event (under `policy`, whose legal day gives each change its standing); then every
    licences row against the replay of its events."""
    walk = FastTrailCheck()
    register = RegisterReplay()
    feed = _FeedCheck(policy, digests=db.engine.dialect.name == "postgresql")
    refused: ReplayRefused | None = None
    # one snapshot for the events, the feed, the head row and the licences, or a write landing
    # in between would look like a cut tail or a row ahead of its events (SQLite's transactions
    # are snapshots already)
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        # the head is read first: a walk cut short leaves PostgreSQL's transaction unusable
        head = connection.execute(
            select(ChainHead.seq, ChainHead.hash, ChainHead.tree)
        ).one_or_none()
        with _tree_rows(connection) as tree_rows:
            tree = _TreeWalk(tree_rows)
            apply, grow, licences = register.apply, tree.grow, register.licences
            for event in walk.feed_stored(
                feed.kept(_stored_events(connection)), typed=connection.dialect.name == "postgresql"
            ):
                grow(event.seq, event.hash)
                if refused is None:
                    before = licences.get(event.licence)
                    try:
                        done = apply(event.seq, event.licence, event.action, event.from_,
                                     event.to, event.at, event.data)  # fmt: skip
                    except ReplayRefused as error:
                        refused = error  # the chain is still walked to its end
                        continue
                    feed.check(event.seq, done, before, licences[event.licence])
            if walk.finding is None:
                last = (walk.head.seq, walk.head.hash) if walk.head else (0, GENESIS)
                if head is None or tuple(head[:2]) != last:
                    walk.finding = _head_finding(walk, head)
                else:
                    walk.finding = tree.finding(head.seq, bytes(head.tree))
        disagreement = None
        if walk.finding is None and refused is None:
            disagreement = _register_disagreement(connection, register.licences)
        if walk.finding is None and refused is None and feed.finding is None:
            feed.count(connection)
    return _verification(walk, refused, disagreement, feed.finding, feed.licence)


class _FeedCheck:
    """The change feed's rows held to the public projection of the events, as the chain is
    walked: each event's expected row (the one services/changes.change_row makes for the write,
    made here by its fast path, fastpaths/feed_items.py) against the row the feed keeps for its
    seq, joined to the event in the walk's one read."""

    def __init__(self, policy: Policy, digests: bool) -> None:
        self.expected = FeedRows(policy).row
        # PostgreSQL sends each item's SHA-256 rather than the item (a tenth of the bytes, hashed
        # on the server's core while this one replays); SQLite, in this process, the item itself
        self.digests = digests
        self.finding: Finding | None = None
        self.licence: str | None = None  # the finding's
        self.rows = 0  # rows of the feed met on the walk
        self._kept: tuple[Any, tuple[Any, ...]] = (None, _NO_ROW)

    def kept(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        """The walk's rows without the feed's columns (the last five), which are kept aside for
        the event the walk yields next: it yields each row's event before it reads on."""
        for row in rows:
            self._kept = (row[1], tuple(row[-_FEED_WIDTH:]))
            yield row[:-_FEED_WIDTH]

    def check(
        self, seq: int, event: LicenceEvent, before: LicenceState | None, after: LicenceState
    ) -> None:
        if self.finding is not None:
            return
        kept_seq, stored = self._kept
        if kept_seq != seq:  # the walk judged the row on its own and made the event anew
            stored = _NO_ROW
        if stored[-1] is not None:
            self.rows += 1
        expected = self.expected(seq, event, before, after)
        if expected is not None and self.digests:
            expected = (*expected[:-1], sha256(expected[-1].encode()).digest())
        if expected == stored or (expected is None and stored[-1] is None):
            return
        if expected is None:
            problem = f"the change feed has an item for seq {seq}, an event the public does not see"
        elif stored[-1] is None:
            problem = f"the change feed has no item for seq {seq}, an event the public sees"
        else:
            wrong = [name for name, want, value in zip(_FEED_COLUMNS, expected, stored, strict=True)
                     if want != value]  # fmt: skip
            problem = (
                f"the change feed's row for seq {seq} is not the public projection of its event "
                f"({', '.join(wrong)} differ)"
            )
        self.finding = Finding(None, seq, problem)
        self.licence = event.licence

    def count(self, connection: Connection) -> None:
        """Rows of the feed that no event of the walk met (a row for a seq past the trail)."""
        rows = connection.execute(select(func.count()).select_from(Change)).scalar_one()
        if rows != self.rows:
            extra = rows - self.rows
            first = connection.execute(
                select(Change.seq, Change.licence)
                .where(Change.seq.not_in(select(AuditEvent.seq)))
                .order_by(Change.seq)
                .limit(1)
            ).one()
            rows_word = "row" if extra == 1 else "rows"
            problem = f"the change feed has {extra} {rows_word} for no event of the trail"
            self.finding, self.licence = Finding(None, first.seq, problem), first.licence


_FEED_COLUMNS = ("licence", "region", "holder_bin", "action", "item")
_FEED_WIDTH = len(_FEED_COLUMNS)
_NO_ROW = (None,) * _FEED_WIDTH


def verify_export(
    export: BinaryIO,
    kept: Sequence[str],
    keys: Mapping[str, Any] | None,
    trees: Sequence[str] = (),
    log: LogKeys | None = None,
) -> FastTrailCheck:
    """Check an export offline, with no database: every hash, every link, that it still
    reproduces each kept checkpoint (compact JWS, genuine by `keys`; CheckpointRefused for one
    that is not), and that the Merkle tree of its first events has the root of each kept log
    checkpoint (signed notes, opened with `log`'s keys; NoteRefused for one that is not)."""
    anchors = [checkpoints.read(token, keys or {}) for token in kept]
    heads = [log_proofs.open_log_checkpoint(note, log).checkpoint for note in trees] if log else []
    if heads and not export.seekable():  # the tree is a second read: keep a pipe's bytes
        spooled = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the export)
        shutil.copyfileobj(export, spooled)
        spooled.seek(0)
        export = spooled
    start = export.tell()
    walk = check_export(export, anchors)
    if walk.finding is None and heads:
        export.seek(start)
        walk.finding = _root_finding(export, heads)
    return walk


class _Leaf(msgspec.Struct):
    seq: int
    hash: str


def _root_finding(export: BinaryIO, heads: Sequence[notes.Checkpoint]) -> Finding | None:
    """The first kept log checkpoint whose root is not the root of the tree of the export's first
    `size` events (their hashes the leaves, in seq order), or whose size the export does not
    reach. The chain has been checked: each line is an event, in seq order."""
    wanted = sorted({head.size for head in heads})
    roots: dict[int, bytes] = {}
    frontier: list[bytes] = []
    decode = msgspec.json.Decoder(_Leaf).decode
    size = 0
    for line in export:
        if size >= wanted[-1]:
            break
        leaf = decode(line)
        if size == 0 and leaf.seq != 1:
            problem = f"the export starts at seq {leaf.seq}: a log checkpoint's tree is from seq 1"
            return Finding(1, leaf.seq, problem)
        frontier, _ = merkle.append(frontier, size, bytes.fromhex(leaf.hash))
        size += 1
        if size in wanted:
            roots[size] = merkle.root(frontier)
    for head in sorted(heads, key=lambda h: h.size):
        if head.size not in roots:
            problem = f"the export ends at seq {size}, before the log checkpoint of {head.size}"
            return Finding(None, size + 1, problem)
        if roots[head.size] != head.root:
            problem = (
                f"the tree of the export's first {head.size} events has another root than the "
                "log checkpoint: the trail was rewritten"
            )
            return Finding(None, head.size, problem)
    return None


def _stored_events(connection: Connection) -> Iterator[Sequence[Any]]:
    """Every event as stored, oldest first: the line as UTF-8 bytes, then its columns, then the
    change feed's row for its seq (null columns where the feed has none)."""
    if connection.dialect.name == "postgresql":
        line = type_coerce(func.convert_to(AuditEvent.line, literal("UTF8")), LargeBinary)
    else:
        line = cast(AuditEvent.line, LargeBinary)
    feed: list[Any] = [Change.__table__.c[name] for name in _FEED_COLUMNS]
    if connection.dialect.name == "postgresql":  # see _FeedCheck
        feed[-1] = type_coerce(func.sha256(func.convert_to(Change.item, literal("UTF8"))),
                               LargeBinary)  # fmt: skip
    query = (
        select(line, *COLUMNS.values(), *feed)
        .join_from(AuditEvent, Change, Change.seq == AuditEvent.seq, isouter=True)
        .order_by(AuditEvent.seq)
    )
    return _streamed(connection, query)


_TREE_ROWS = select(LogNode.leaf, LogNode.hashes).order_by(LogNode.leaf)


@contextmanager
def _tree_rows(connection: Connection) -> Iterator[Iterator[Sequence[Any]]]:
    """The Merkle tree's rows, by leaf, streamed beside the events from the same snapshot, for
    the walk to take one with each event. Two streams in step, not a join: PostgreSQL cannot
    join the two tables in the order of their keys (leaf is seq - 1), so a join hashes both and
    sorts the whole trail, or looks a row up for every event, costing more than either scan.
    PostgreSQL streams each on a connection of its own, the second on the first's exported
    snapshot; SQLite reads both on one connection, in one transaction."""
    if connection.dialect.name != "postgresql":
        rows = _streamed(connection, _TREE_ROWS)
        try:
            yield rows
        finally:
            rows.close()  # type: ignore[attr-defined]
        return
    snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    with db.engine.connect() as beside:
        beside.execution_options(isolation_level="REPEATABLE READ")
        beside.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        rows = _streamed(beside, _TREE_ROWS)
        try:
            yield rows
        finally:
            rows.close()  # type: ignore[attr-defined]


class _TreeWalk:
    """The Merkle tree recomputed from the events' hashes as the chain is walked, each event's
    stored row (taken from `rows`, in step with the events) compared with it at once: the first
    event whose row differs or is missing is kept. The tree is only judged once the chain holds:
    only then are the hashes the leaves."""

    def __init__(self, rows: Iterator[Sequence[Any]]) -> None:
        self.rows = rows
        self.frontier: list[bytes] = []
        self.size = 0
        self.first_bad: Finding | None = None

    def grow(self, seq: int, hash_: str) -> None:
        """Append the event (the walk's next, seq `size + 1`) and compare its stored row."""
        if self.first_bad is not None:
            return  # nothing after the first difference is reported
        completed = merkle.grow(self.frontier, self.size, bytes.fromhex(hash_))
        leaf, self.size = self.size, self.size + 1
        row = next(self.rows, None)
        if row is None or row[0] != leaf:  # keys are unique and never negative: it is missing
            self.first_bad = Finding(None, seq, f"the Merkle tree has no row for event {seq}")
        elif bytes(row[1]) != completed:
            problem = f"the Merkle tree's stored hashes for event {seq} are not the tree of the "
            self.first_bad = Finding(None, seq, problem + "events: a stored node was altered")

    def finding(self, size: int, stored_frontier: bytes) -> Finding | None:
        """Once the chain holds, to its head at `size`: the first event whose row differs; rows
        of the tree beyond the trail; a frontier kept with the head that is not the tree's."""
        if self.first_bad is not None:
            return self.first_bad
        if extra := sum(1 for _ in self.rows):  # every event took its own: these are beyond
            rows = size + extra
            return Finding(None, size + 1, f"the Merkle tree has {rows} rows for {size} events")
        if stored_frontier != merkle.join(self.frontier):
            return Finding(
                None, size, "the tree kept with the chain head is not the tree of the events"
            )
        return None


def _streamed(connection: Connection, query: Select[Any]) -> Iterator[Sequence[Any]]:
    """The rows of `query`, streamed."""
    if connection.dialect.name != "postgresql":
        with connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query) as rows:
            yield from rows
        return
    # psycopg's chunked streaming: the server sends on while a chunk is checked, where a server
    # side cursor would wait for each FETCH; binary, so the line comes as its bytes
    compiled = query.compile(dialect=connection.dialect)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        yield from cursor.stream(str(compiled), compiled.params, binary=True, size=ROWS_PER_CHUNK)


def _verification(
    walk: TrailCheck,
    refused: ReplayRefused | None,
    disagreement: _Disagreement | None,
    feed: Finding | None = None,
    feed_licence: str | None = None,
) -> Verification:
    """The report: a broken chain first (nothing after it can be trusted), then an event its
    licence's history cannot take, then a row that differs from its replay, then a change feed
    row that is not its event's projection."""
    head = {"seq": walk.head.seq, "hash": walk.head.hash} if walk.head else None
    seq = licence = problem = None
    if walk.finding is not None:
        seq, problem = walk.finding.seq, walk.finding.problem
    elif refused is not None:
        seq, licence = refused.seq, refused.licence
        problem = f"licence {refused.licence}: its event at seq {refused.seq} does not replay: "
        problem += refused.problem
    elif disagreement is not None:
        licence, problem = disagreement.licence, disagreement.problem
    elif feed is not None:
        seq, licence, problem = feed.seq, feed_licence, feed.problem
    return Verification(
        ok=problem is None,
        events_checked=walk.events_checked,
        head=head,
        first_bad_seq=seq,
        first_bad_licence=licence,
        problem=problem,
    )


def _register_disagreement(
    connection: Connection, replayed: dict[str, LicenceState]
) -> _Disagreement | None:
    """The first licence, by number, whose row differs from its replay, has no events, or has
    events but no row; with how many others disagree too."""
    found: dict[str, str] = {}
    query = select(*(Licence.__table__.c[name] for name in ROW_FIELDS))
    # the whole table is read (it is far smaller than the trail) so that "first" is by number in
    # Python's order, whatever the database's collation
    with connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query) as rows:
        for row in rows:
            fields = row._mapping
            licence = replayed.pop(fields["number"], None)
            if licence is None:
                found[fields["number"]] = "a row in the register that no event made"
            elif differences := row_differences(licence, fields):
                found[licence.number] = "; ".join(differences)
    for number in replayed:  # events whose row is gone
        found[number] = "its events make it, but the register has no row for it"
    if not found:
        return None
    first = min(found)
    more = len(found) - 1
    others = f" (and {more} more licence{'s' if more > 1 else ''} disagree too)" if more else ""
    return _Disagreement(first, f"licence {first}: {found[first]}{others}")


def _head_finding(walk: TrailCheck, head: Any) -> Finding:
    last = walk.head.seq if walk.head else 0
    if head is not None and head.seq > last:
        problem = (
            f"the chain head is at seq {head.seq} but the trail ends at seq {last}: "
            "events were removed from the end"
        )
    else:
        problem = "the chain head row does not match the last event"
    return Finding(None, last + 1, problem)
