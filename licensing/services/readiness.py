"""What an operator asks of the database itself: is the schema in place, where is the chain's
head, how are the pools doing. Never an error: a database that cannot answer says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from licensing.models import db

_HEAD_SEQ = text("SELECT seq FROM audit_head WHERE id = 1")


def has_schema() -> bool:
    """Whether `db upgrade` has made the registry's tables."""
    return inspect(db.engine).has_table("audit_head")


def chain_head_seq() -> int | None:
    """The last event's seq; None when the database cannot be read (or has no schema)."""
    try:
        return int(db.session.execute(_HEAD_SEQ).scalar_one())
    except SQLAlchemyError:
        db.session.rollback()
        return None


def watch_pool(
    size: Callable[[int], Any], checkout: Callable[[], Any], checkin: Callable[[], Any]
) -> None:
    """Tell `size` this process's pool size, and `checkout`/`checkin` of every connection."""
    pool = db.engine.pool
    pool_size = getattr(pool, "size", None)
    size(pool_size() if callable(pool_size) else 1)
    event.listen(pool, "checkout", lambda *_: checkout())
    event.listen(pool, "checkin", lambda *_: checkin())
