"""Paged, searchable lists: the one way a list query is counted, cut into pages and searched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Select, func
from sqlalchemy.orm import InstrumentedAttribute, Session

from licensing.domain.lifecycle import ISSUED, RESUMED, REVOKED, SUSPENDED
from licensing.domain.standing import (
    EXPIRED,
    IN_FORCE,
    NOT_YET_IN_FORCE,
    REVOKED_FOR_GOOD,
    SUSPENDED_NOW,
    SUSPENSION_OVERDUE,
)
from licensing.models import Licence
from licensing.services.results import Page, Slice

T = TypeVar("T")


def paginate(
    session: Session,
    query: Select[Any],
    page: int,
    page_size: int,
    view: Callable[[Any], T],
    *,
    columns: bool = False,
    total: int | None = None,
) -> Page[T]:
    """One page of `query` (filtered and ordered) and the exact count of all its rows. `view` is
    given each row's first column (an object of one table), or with `columns` the whole row (the
    columns it selects, or a join). The page comes first: a page that is neither full nor past the
    end tells the total by itself (most searches fit on one page); only otherwise is the table
    counted, by a bare `count(*)` with the page's conditions, which the database can answer from
    an index alone; not at all when the caller knows the `total` (counted before in the same state
    of the register)."""
    offset = (page - 1) * page_size
    cut = query.limit(page_size).offset(offset)
    rows = session.execute(cut).all() if columns else session.scalars(cut).all()
    if 0 < len(rows) < page_size or (offset == 0 and not rows):
        total = offset + len(rows)
    elif total is None:
        total = _count(session, query)
    return Page([view(row) for row in rows], total, page, page_size)


def newest_first(
    session: Session,
    query: Select[Any],
    key: InstrumentedAttribute[int],
    before: int | None,
    size: int,
    view: Callable[[Any], T],
) -> Slice[T]:
    """The `size` rows of `query` just older than the cursor `before` (its key, exclusive), newest
    first; from the newest when `before` is None. Each read is bounded: the page, two counts, and
    one key that starts the page of newer rows."""
    older = query if before is None else query.where(key < before)
    rows = session.scalars(older.order_by(key.desc()).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    newer = 0 if before is None else _count(session, query.where(key >= before))
    newer_before = None
    if newer > size:
        start = query.where(key >= before).order_by(key).offset(size).limit(1)
        newer_before = session.scalar(start.with_only_columns(key))
    return Slice(
        [view(row) for row in rows],
        _count(session, query),
        newer,
        newer_before,
        getattr(rows[-1], key.key) if more else None,
    )


def _count(session: Session, query: Select[Any]) -> int:
    counting = query.with_only_columns(func.count(), maintain_column_froms=True)
    return session.connection().scalar(counting.order_by(None)) or 0


def substring_pattern(text: str) -> str:
    """A LIKE pattern (escaped by a backslash) matching `text` anywhere, its wildcards taken
    literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match over a column of casefolded text (a holder name's folded
    copy): a plain LIKE of the casefolded text, so the match never depends on the database's idea
    of case, which for SQLite ends at ASCII, and PostgreSQL serves it from the column's trigram
    index."""
    return column.like(substring_pattern(text.casefold()), escape="\\")


def contains_any_case(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match over a column whose text has one case that is not lower
    (licence numbers, DM-2026-000123): ILIKE, which the column's trigram index also serves on
    PostgreSQL (SQLite runs it as lower() on both sides; the column is ASCII)."""
    return column.ilike(substring_pattern(text.casefold()), escape="\\")


def standing_is(word: str, today: date | BindParameter[date]) -> ColumnElement[bool]:
    """The licences whose standing today is `word`, as SQL (the same order of precedence as
    domain.standing.standing, which a test holds it to). `today` may be a bound parameter, for a
    statement compiled once and run on any day; no condition takes a list, so none needs one."""
    revoked = Licence.status == REVOKED
    expired = ~revoked & (Licence.expires_on < today)
    not_yet = ~revoked & (Licence.expires_on >= today) & (Licence.issued_on > today)
    current = ~revoked & (Licence.expires_on >= today) & (Licence.issued_on <= today)
    overdue = (
        (Licence.status == SUSPENDED)
        & Licence.suspended_until.is_not(None)
        & (Licence.suspended_until < today)
    )
    conditions = {
        REVOKED_FOR_GOOD: revoked,
        EXPIRED: expired,
        NOT_YET_IN_FORCE: not_yet,
        SUSPENSION_OVERDUE: current & overdue,
        SUSPENDED_NOW: current & (Licence.status == SUSPENDED) & ~overdue,
        IN_FORCE: current & ((Licence.status == ISSUED) | (Licence.status == RESUMED)),
    }
    return conditions[word]
