"""The write transaction every use case that changes the register runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from licensing import clock, metrics
from licensing.database import IMMEDIATE
from licensing.models import ChainHead, db
from licensing.services.errors import ConcurrentChange, DatabaseBusy, DatabaseUnavailable


@dataclass
class Write:
    session: Session
    head: ChainHead
    now: datetime  # the instant of this write, never before the chain head's
    actions: list[str] = field(default_factory=list)  # of the events appended, for the metrics


@contextmanager
def write_transaction() -> Iterator[Write]:
    """Commit everything done inside, or nothing. Every write of the registry runs in one of
    these, tokens and signing keys included: there is no other way to commit.

    Every write locks the chain head before it reads anything: BEGIN IMMEDIATE on SQLite, a row
    lock (SELECT ... FOR UPDATE) on PostgreSQL. All writes append to the one chain, so they would
    serialise there anyway; taking the lock first makes every check (state, version, idempotency
    key, next licence serial) hold until commit, and one lock order means no deadlock.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a write transaction started with unsaved changes in the session")
    session.commit()  # end any read transaction of this request (e.g. the token lookup)
    try:
        session.connection(execution_options={IMMEDIATE: True})
        head = session.execute(
            select(ChainHead)
            .where(ChainHead.id == 1)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        now = clock.now()
        write = Write(session, head, max(now, head.at) if head.at else now)
        yield write
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
