"""Paged, searchable lists: the one way a list query is counted, cut into pages and searched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
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


def standing_is(word: str, today: date) -> ColumnElement[bool]:
    """The licences whose standing today is `word`, as SQL (the same order of precedence as
    domain.standing.standing, which a test holds it to)."""
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
        IN_FORCE: current & Licence.status.in_((ISSUED, RESUMED)),
    }
    return conditions[word]
