"""The write transaction every use case that changes the register runs in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Delete, Insert, Update

from licensing import clock, metrics
from licensing.database import IMMEDIATE
from licensing.models import ChainHead, db
from licensing.services.errors import ConcurrentChange, DatabaseBusy, DatabaseUnavailable

Change = Insert | Update | Delete


def one_row_insert(table: Table, prefix: str) -> Insert:
    """INSERT of one row of `table`, every column (but a generated id) a parameter named
    prefix + column, so that it can run folded with others: build it once, at import."""
    return insert(table).values(
        {
            column.name: bindparam(prefix + column.name, type_=column.type)
            for column in table.columns
            if column is not table.autoincrement_column
        }
    )


def named(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a statement built by one_row_insert (or named alike)."""
    return {prefix + name: value for name, value in values.items()}


_TABLE: Table = ChainHead.__table__  # type: ignore[assignment]
_HEAD = select(_TABLE.c.seq, _TABLE.c.hash, _TABLE.c.at).where(_TABLE.c.id == 1).with_for_update()


def with_head(table: Table) -> Select[Any]:
    """SELECT the head's seq, hash and at with the columns of `table`, for
    write_transaction(lock=...): add the row's conditions and FOR UPDATE. PostgreSQL locks the
    rows of a FOR UPDATE in the order of FROM, the head first as every write does; a row that a
    previous writer changed while this one waited is read again in its committed version (READ
    COMMITTED), so every check made on what it returns holds until commit."""
    return (
        select(_TABLE.c.seq, _TABLE.c.hash, _TABLE.c.at, *table.columns)
        .select_from(_TABLE.join(table, true()))
        .where(_TABLE.c.id == 1)
    )


_ADVANCE = (
    update(_TABLE)
    .where(_TABLE.c.id == 1, _TABLE.c.seq == bindparam("head_seq_was"))
    .values(
        seq=bindparam("head_seq"),
        hash=bindparam("head_hash"),
        at=bindparam("head_at", type_=_TABLE.c.at.type),
    )
)


@dataclass
class Head:
    """The chain head as this transaction will leave it (its row is locked until commit)."""

    seq: int
    hash: str
    at: datetime | None


@dataclass
class Write:
    session: Session
    head: Head
    now: datetime  # the instant of this write, never before the chain head's
    locked: Row[Any] | None = None  # what `lock` found with the head (None: nothing, or no lock)
    actions: list[str] = field(default_factory=list)  # of the events appended, for the metrics
    changes: list[tuple[Change, dict[str, Any]]] = field(default_factory=list)

    def change(self, statement: Change, parameters: dict[str, Any]) -> None:
        """Queue a statement that must change exactly one row: one built once (at import), its
        parameters named apart from every other's. Queued statements run at commit, in order,
        after the session's own pending changes: on PostgreSQL as one statement (one round trip
        while the head is locked); a statement that changes no row (a version that moved on)
        undoes the whole write."""
        if any(statement is queued for queued, _ in self.changes):
            raise RuntimeError("a write changes a row of each kind once")
        self.changes.append((statement, parameters))


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
        seq, hash_, at = (locked or session.execute(_HEAD).one())[:3]
        now = clock.now()
        write = Write(session, Head(seq, hash_, at), max(now, at) if at else now, locked)
        yield write
        session.flush()
        if write.head.seq != seq:
            head = write.head
            write.change(
                _ADVANCE,
                {
                    "head_seq_was": seq,
                    "head_seq": head.seq,
                    "head_hash": head.hash,
                    "head_at": head.at,
                },
            )
        _apply(session, write.changes, postgresql)
        session.commit()
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


def _apply(session: Session, changes: list[tuple[Change, dict[str, Any]]], folded: bool) -> None:
    """Run the queued statements, each of which must change exactly one row."""
    if not changes:
        return
    if folded:
        statements = tuple(statement for statement, _ in changes)
        parameters = {name: value for _, named in changes for name, value in named.items()}
        changed = list(session.execute(_folded(statements), parameters).one())
    else:
        changed = [
            session.execute(statement, parameters).rowcount  # type: ignore[attr-defined]
            for statement, parameters in changes
        ]
    if any(count != 1 for count in changed):
        raise StaleDataError(f"expected one row changed by each statement, got {changed}")


@cache
def _folded(statements: tuple[Change, ...]) -> Select[Any]:
    """WITH c0 AS (INSERT ... RETURNING 1), c1 AS (UPDATE ... RETURNING 1), ...
    SELECT (SELECT count(*) FROM c0), (SELECT count(*) FROM c1), ...
    PostgreSQL runs every data-modifying WITH exactly once, all in one statement. Built once per
    kind of write (the statements are module constants), so SQLAlchemy keys and compiles it once.
    """
    steps = [
        statement.returning(literal_column("1")).cte(f"change_{n}")
        for n, statement in enumerate(statements)
    ]
    return select(*(select(func.count()).select_from(step).scalar_subquery() for step in steps))
