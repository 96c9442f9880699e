"""Paged, searchable lists: the one way a list query is counted, cut into pages and searched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from licensing.services.results import Page

T = TypeVar("T")


def paginate(
    session: Session, query: Select[Any], page: int, page_size: int, view: Callable[[Any], T]
) -> Page[T]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(page_size).offset((page - 1) * page_size))
    return Page([view(row) for row in rows], total or 0, page, page_size)


def contains(column: InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match. Columns searched this way hold casefolded text (or,
    like licence numbers, text with one case), so the match never depends on the database's
    idea of case, which for SQLite ends at ASCII."""
    folded = text.casefold()
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
