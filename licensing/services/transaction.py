"""The write transaction every use case that changes the register runs in."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    Table,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Insert, Update

from licensing import clock, metrics
from licensing.database import IMMEDIATE
from licensing.domain import merkle
from licensing.models import ChainHead, db
from licensing.services.failures import (
    ConcurrentChange,
    DatabaseBusy,
    DatabaseUnavailable,
    OutcomeUnknown,
)


@dataclass(frozen=True)
class _Shape:
    """A kind of one-row change: INSERT of these columns, or UPDATE of `columns` WHERE `keys`
    equal. Its statement is built once per place in a write (parameters named c<n>_<column>), so
    any number of changes, of any kinds, fold into one statement."""

    table: Table
    columns: tuple[str, ...]
    keys: tuple[str, ...] | None = None  # None: an insert


@dataclass(frozen=True)
class _Change:
    shape: _Shape
    values: tuple[Any, ...]  # the columns' values, then the keys'


@dataclass(frozen=True)
class _Rows:
    """Many one-row changes of one shape, sent as one executemany: for writes of a number of rows
    that varies from write to write (a round of deliveries), whose statement must not be built
    and compiled anew for each number, as a fold of one-row changes would be."""

    shape: _Shape
    rows: tuple[tuple[Any, ...], ...]  # per row: the columns' values, then the keys'


_TABLE: Table = ChainHead.__table__  # type: ignore[assignment]
_COMMITS = itertools.count(1)
_last_commit = 0


def commits() -> int:
    """How many write transactions this process has committed: what it keeps of a read (the log's
    published checkpoint) is stale once this moves."""
    return _last_commit


_HEAD_COLUMNS = (_TABLE.c.seq, _TABLE.c.hash, _TABLE.c.at, _TABLE.c.tree)
_HEAD = select(*_HEAD_COLUMNS).where(_TABLE.c.id == 1).with_for_update()


def with_head(table: Table) -> Select[Any]:
    """SELECT the head's seq, hash, at and tree with the columns of `table`, for
    write_transaction(lock=...): add the row's conditions and FOR UPDATE. PostgreSQL locks the
    rows of a FOR UPDATE in the order of FROM, the head first as every write does; a row that a
    previous writer changed while this one waited is read again in its committed version (READ
    COMMITTED), so every check made on what it returns holds until commit."""
    return (
        select(*_HEAD_COLUMNS, *table.columns)
        .select_from(_TABLE.join(table, true()))
        .where(_TABLE.c.id == 1)
    )


@dataclass
class Head:
    """The chain head as this transaction will leave it (its row is locked until commit)."""

    seq: int
    hash: str
    at: datetime | None
    tree: list[bytes]  # the Merkle tree's frontier (domain/merkle.py)


@dataclass
class Write:
    session: Session
    head: Head
    now: datetime  # the instant of this write, never before the chain head's
    locked: Row[Any] | None = None  # what `lock` found with the head (None: nothing, or no lock)
    actions: list[str] = field(default_factory=list)  # of the events appended, for the metrics
    changes: list[_Change | _Rows] = field(default_factory=list)

    # The one way a write changes a row. Queued changes run at commit, in order: on PostgreSQL
    # as one statement (one round trip while the head is locked). Each must change exactly one
    # row; one that changes none (a version that moved on) undoes the whole write. Reads go
    # through `session` as usual; a row changed through the session instead is refused.

    def insert(self, table: Table, row: Mapping[str, Any]) -> None:
        """Queue the INSERT of one row (every column but a generated id)."""
        self.changes.append(_Change(_Shape(table, tuple(row)), tuple(row.values())))

    def update(self, table: Table, keys: Mapping[str, Any], values: Mapping[str, Any]) -> None:
        """Queue the UPDATE of `values` in the one row whose columns equal `keys` (a version among
        them: a row that moved on matches none)."""
        shape = _Shape(table, tuple(values), tuple(keys))
        self.changes.append(_Change(shape, (*values.values(), *keys.values())))

    def insert_rows(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Queue the INSERT of every row of `rows`, all of the same columns, in one statement
        whatever their number."""
        for shape, values in _grouped(table, rows, ()):
            self.changes.append(_Rows(shape, values))

    def update_rows(
        self, table: Table, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Queue the UPDATE of one row per entry of `rows`: its `keys` columns name the row, the
        others are its new values. Entries that set the same columns go in one statement whatever
        their number; each must change exactly one row, as with `update`."""
        for shape, values in _grouped(table, rows, tuple(keys)):
            self.changes.append(_Rows(shape, values))


def _grouped(
    table: Table, rows: Sequence[Mapping[str, Any]], keys: tuple[str, ...]
) -> Iterator[tuple[_Shape, tuple[tuple[Any, ...], ...]]]:
    """The rows by the columns they set, in the order each set first appears."""
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        columns = tuple(name for name in row if name not in keys)
        values = (*(row[name] for name in columns), *(row[key] for key in keys))
        groups.setdefault(columns, []).append(values)
    for columns, values in groups.items():
        yield _Shape(table, columns, keys or None), tuple(values)


@contextmanager
def write_transaction(
    lock: Select[Any] | None = None, parameters: Mapping[str, Any] | None = None
) -> Iterator[Write]:
    """Commit everything done inside, or nothing. Every write of the registry runs in one of
    these, tokens and signing keys included: there is no other way to commit.

    Every write locks the chain head before it reads anything it decides on: BEGIN IMMEDIATE on
    SQLite, a row lock (SELECT ... FOR UPDATE) on PostgreSQL. All writes append to the one chain,
    so they would serialise there anyway; taking the lock first makes every check (state,
    version, idempotency key, next licence serial) hold until commit, and one lock order means
    no deadlock. Whatever can be done before is done by the caller before (parsing, validation,
    fingerprints); under the lock a write reads what it checks and sends its changes at once.
    `lock` (built by with_head) takes the head and the rows the write decides on in one round
    trip; when it finds no row, the head alone is locked and `Write.locked` is None.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a write transaction started with unsaved changes in the session")
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # READ COMMITTED: each statement after the lock sees every write committed before it,
        # so a read transaction of this request (the token lookup) goes on as the write, on the
        # same connection; only objects loaded before the lock must be read again.
        session.expire_all()
    else:
        session.commit()  # end any read transaction: SQLite's write lock is taken at BEGIN
    try:
        if not postgresql:
            session.connection(execution_options={IMMEDIATE: True})
        locked = None if lock is None else session.execute(lock, parameters).first()
        seq, hash_, at, tree = (locked or session.execute(_HEAD).one())[:4]
        now = clock.now()
        head = Head(seq, hash_, at, merkle.split(tree))
        write = Write(session, head, max(now, at) if at else now, locked)
        yield write
        if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
            raise RuntimeError("a write changes rows through Write.insert and Write.update only")
        if write.head.seq != seq:
            head = write.head
            after = {
                "seq": head.seq,
                "hash": head.hash,
                "at": head.at,
                "tree": merkle.join(head.tree),
            }
            write.update(_TABLE, {"id": 1, "seq": seq}, after)
        _apply(session, write.changes, postgresql)
        try:
            session.commit()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            # the COMMIT was sent, and the connection died before its answer came back
            session.rollback()
            raise OutcomeUnknown(str(error)) from error
        global _last_commit
        _last_commit = next(_COMMITS)
        for action in write.actions:
            metrics.EVENTS.labels(action).inc()
    except (StaleDataError, IntegrityError) as error:
        session.rollback()
        raise ConcurrentChange(str(error)) from error
    except (OperationalError, InterfaceError) as error:
        session.rollback()
        if "locked" in str(error) or "lock timeout" in str(error):
            raise DatabaseBusy(str(error)) from error
        raise DatabaseUnavailable(str(error)) from error
    except BaseException:
        session.rollback()
        raise


def _apply(session: Session, changes: list[_Change | _Rows], folded: bool) -> None:
    """Run the queued changes, in order, each of which must change exactly one row: one-row
    changes (a run of them folded into one statement on PostgreSQL), and rows of one shape as
    one executemany each."""
    run: list[_Change] = []
    for change in changes:
        if isinstance(change, _Change):
            run.append(change)
            continue
        _apply_singles(session, run, folded)
        run = []
        _apply_rows(session, change)
    _apply_singles(session, run, folded)


def _apply_rows(session: Session, change: _Rows) -> None:
    names = _names(change.shape, None)
    parameters = [dict(zip(names, row, strict=True)) for row in change.rows]
    result = session.execute(_statement(change.shape, None), parameters)
    if change.shape.keys is None:
        return  # an INSERT adds every row or fails (batched, it reports no count)
    if result.rowcount != len(change.rows):  # type: ignore[attr-defined]
        counted = result.rowcount  # type: ignore[attr-defined]
        raise StaleDataError(f"expected {len(change.rows)} rows changed, got {counted}")


def _apply_singles(session: Session, changes: list[_Change], folded: bool) -> None:
    if not changes:
        return
    parameters = [
        dict(zip(_names(change.shape, n), change.values, strict=True))
        for n, change in enumerate(changes)
    ]
    shapes = tuple(change.shape for change in changes)
    if folded:
        every = {name: value for own in parameters for name, value in own.items()}
        changed = list(session.execute(_folded(shapes), every).one())
    else:
        # each statement with its own parameters only, so that it is keyed (and compiled) the
        # same in every write it is part of
        changed = [
            session.execute(_statement(shape, n), own).rowcount  # type: ignore[attr-defined]
            for n, (shape, own) in enumerate(zip(shapes, parameters, strict=True))
        ]
    if any(count != 1 for count in changed):
        raise StaleDataError(f"expected one row changed by each statement, got {changed}")


@cache
def _names(shape: _Shape, n: int | None) -> tuple[str, ...]:
    """The parameters of the statement of `shape` at place `n` (None: of rows sent as one
    executemany), in the order of its values."""
    prefix = "" if n is None else f"c{n}_"
    return tuple(
        f"{prefix}{name}" for name in (*shape.columns, *(f"{key}_was" for key in shape.keys or ()))
    )


@cache
def _statement(shape: _Shape, n: int | None) -> Insert | Update:
    """The statement of `shape` at place `n` of a write (None: of rows sent as one
    executemany), built once."""
    columns = shape.table.c
    prefix = "" if n is None else f"c{n}_"

    def parameter(name: str, column: str) -> Any:
        return bindparam(f"{prefix}{name}", type_=columns[column].type)

    values = {column: parameter(column, column) for column in shape.columns}
    if shape.keys is None:
        return insert(shape.table).values(values)
    keys = [columns[key] == parameter(f"{key}_was", key) for key in shape.keys]
    return update(shape.table).where(*keys).values(values)


@cache
def _folded(shapes: tuple[_Shape, ...]) -> Select[Any]:
    """WITH c0 AS (INSERT ... RETURNING 1), c1 AS (UPDATE ... RETURNING 1), ...
    SELECT (SELECT count(*) FROM c0), (SELECT count(*) FROM c1), ...
    PostgreSQL runs every data-modifying WITH exactly once, all in one statement. Built once per
    kind of write, so SQLAlchemy keys and compiles it once.
    """
    steps = [
        _statement(shape, n).returning(literal_column("1")).cte(f"change_{n}")
        for n, shape in enumerate(shapes)
    ]
    return select(*(select(func.count()).select_from(step).scalar_subquery() for step in steps))
