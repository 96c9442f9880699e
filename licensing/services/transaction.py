"""The write transaction every use case that changes the register runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Executable, func, literal, select, update
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Delete, Insert, Update

from licensing import clock, metrics
from licensing.database import IMMEDIATE
from licensing.models import ChainHead, db
from licensing.services.errors import ConcurrentChange, DatabaseBusy, DatabaseUnavailable

Change = Insert | Update | Delete

_HEAD = select(ChainHead.seq, ChainHead.hash, ChainHead.at).where(ChainHead.id == 1)


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
    actions: list[str] = field(default_factory=list)  # of the events appended, for the metrics
    changes: list[Change] = field(default_factory=list)

    def change(self, statement: Change) -> None:
        """Queue a statement that must change exactly one row. Queued statements run at commit,
        in order, after the session's own pending changes: on PostgreSQL as one statement (one
        round trip while the head is locked); a statement that changes no row (a version that
        moved on) undoes the whole write."""
        self.changes.append(statement)


@contextmanager
def write_transaction() -> Iterator[Write]:
    """Commit everything done inside, or nothing. Every write of the registry runs in one of
    these, tokens and signing keys included: there is no other way to commit.

    Every write locks the chain head before it reads anything it decides on: BEGIN IMMEDIATE on
    SQLite, a row lock (SELECT ... FOR UPDATE) on PostgreSQL. All writes append to the one chain,
    so they would serialise there anyway; taking the lock first makes every check (state,
    version, idempotency key, next licence serial) hold until commit, and one lock order means
    no deadlock. Whatever can be done before is done by the caller before (parsing, validation,
    fingerprints); under the lock a write reads what it checks and sends its changes at once.
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
        seq, hash_, at = session.execute(_HEAD.with_for_update()).one()
        now = clock.now()
        write = Write(session, Head(seq, hash_, at), max(now, at) if at else now)
        yield write
        session.flush()
        if write.head.seq != seq:
            write.change(
                update(ChainHead)
                .where(ChainHead.id == 1, ChainHead.seq == seq)
                .values(seq=write.head.seq, hash=write.head.hash, at=write.head.at)
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


def _apply(session: Session, changes: list[Change], folded: bool) -> None:
    """Run the queued statements, each of which must change exactly one row."""
    if not changes:
        return
    if folded:
        # WITH c0 AS (INSERT ... RETURNING 1), c1 AS (UPDATE ... RETURNING 1), ...
        # SELECT (SELECT count(*) FROM c0), (SELECT count(*) FROM c1), ...
        # PostgreSQL runs every data-modifying WITH exactly once, in one statement.
        steps = [
            statement.returning(literal(1)).cte(f"change_{n}")
            for n, statement in enumerate(changes)
        ]
        counts: Executable = select(
            *(select(func.count()).select_from(step).scalar_subquery() for step in steps)
        )
        changed = list(session.execute(counts).one())
    else:
        changed = [session.execute(statement).rowcount for statement in changes]  # type: ignore[attr-defined]
    if any(count != 1 for count in changed):
        raise StaleDataError(f"expected one row changed by each statement, got {changed}")
