"""The public register: what anyone may look up, without a token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date, Integer, bindparam, literal_column, select
from sqlalchemy.orm import Session

from licensing import clock
from licensing.database import public_read_engine
from licensing.domain.decisions import decision_from_data
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.lifecycle import ISSUE, STATUS_ACTIONS, sets_end_date
from licensing.domain.policy import Policy
from licensing.domain.reasons import CATALOGUE
from licensing.domain.standing import IN_FORCE
from licensing.domain.standing import standing as standing_word
from licensing.domain.timestamps import parse_utc
from licensing.fastpaths.single_read import SingleRead
from licensing.models import AuditEvent, ChainHead, Licence, db
from licensing.services.kept import Kept
from licensing.services.listing import contains, paginate, standing_is, substring_pattern
from licensing.services.results import AsOf, Page, PublicLicenceView

_LICENCES = Licence.__table__
# Built once: the public columns (and issued_on, for the standing) of one licence, by number. Core
# rather than the ORM: one row to read and nothing to track, for the registry's hottest route.
_LOOKUP = SingleRead(select(
    *(
        _LICENCES.c[name]
        for name in (
            "number", "holder_name", "region", "subtype", "status", "status_since", "issued_on",
            "expires_on", "suspended_until",
        )
    )
).where(_LICENCES.c.number == bindparam("number")))  # fmt: skip


_EVENTS = AuditEvent.__table__
_HEAD = ChainHead.__table__
# The chain head alone: what a page's ETag is made of, read before anything is rendered.
_HEAD_READ = SingleRead(select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.at))
_TIMELINE_ACTIONS = (ISSUE, *STATUS_ACTIONS)
# A licence page in one statement: the licence's public columns, each event of its timeline (one
# row each, oldest first) and the chain head, so the badge, the timeline and the "as of" are all
# one committed state of one database.
_LICENCE_PAGE = SingleRead(
    select(
        *_LOOKUP.statement.selected_columns,
        _EVENTS.c.seq, _EVENTS.c.at, _EVENTS.c.action, _EVENTS.c.from_status,
        _EVENTS.c.to_status, _EVENTS.c.reason_code, _EVENTS.c.legal_basis, _EVENTS.c.data,
        select(_HEAD.c.seq).scalar_subquery().label("head_seq"),
        select(_HEAD.c.at).scalar_subquery().label("head_at"),
    )
    .select_from(
        _LICENCES.outerjoin(
            _EVENTS,
            (_EVENTS.c.licence == _LICENCES.c.number)
            # written into the statement: a single read passes no list as a parameter
            & _EVENTS.c.action.in_([literal_column(f"'{a}'") for a in _TIMELINE_ACTIONS]),
        )
    )
    .where(_LICENCES.c.number == bindparam("number"))
    .order_by(_EVENTS.c.seq)
)  # fmt: skip


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a licence's public life: its issue or a status change, with the grounds and
    the decision it rests on; never who recorded it, the request, or the holder's details."""

    at: datetime
    date: date  # the legal date, in the registry's time zone
    action: str
    from_status: str | None
    to_status: str
    reason_code: str | None
    legal_basis: str | None
    until: str | None
    # None for status changes recorded before decisions were
    decision: dict[str, str] | None


@dataclass(frozen=True)
class ReasonCode:
    """A catalogue entry as the public reads it, with the actions this registry accepts it for."""

    code: str
    actions: tuple[str, ...]
    accepted_for: tuple[str, ...]
    labels: dict[str, str]
    article: dict[str, str]


def lookup(policy: Policy, number: str) -> PublicLicenceView:
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    # every lookup reads the committed row itself: nothing is cached, so no answer is older than
    # the last change committed to that licence
    row = _LOOKUP(number=number)
    if row is None:
        raise LicenceNotFound(number)
    return PublicLicenceView.of_row(row, policy.today(clock.now()))


@dataclass(frozen=True)
class LicencePage:
    """What a licence's page shows, all read at once from one database: its public view, its
    timeline and the register entry they are as of."""

    licence: PublicLicenceView
    timeline: list[TimelineEntry]
    as_of: AsOf


def licence_page(policy: Policy, number: str) -> LicencePage:
    """A licence's public view and timeline in one statement, where public reads go (the replica,
    when one is named): one committed state, so the badge and the history never disagree, and
    the page can say which entry of the register that state ends with."""
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    rows = _LICENCE_PAGE.rows(number=number)
    if not rows:
        raise LicenceNotFound(number)
    first = rows[0]
    return LicencePage(
        licence=PublicLicenceView.of_row(first, policy.today(clock.now())),
        timeline=[_entry(policy, row) for row in rows if row.seq is not None],
        as_of=AsOf(first.head_seq or 0, first.head_at),
    )


def register_head() -> AsOf:
    """The last entry of the register where public reads go, by one statement: what a page's
    validator is made of."""
    row = _HEAD_READ()
    return AsOf(row.seq, row.at, row.hash) if row is not None else AsOf(0, None)


def timeline(policy: Policy, number: str) -> list[TimelineEntry]:
    """The licence's issue and status changes, oldest first (amendments are not part of it)."""
    _licence(number)
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.licence == number, AuditEvent.action.in_((ISSUE, *STATUS_ACTIONS)))
        .order_by(AuditEvent.seq)
    )
    return [_entry(policy, row) for row in rows]


def changes_after(policy: Policy, number: str, seq: int) -> list[TimelineEntry]:
    """The licence's events recorded after the event `seq`, oldest first, amendments included:
    what the register holds that a statement of that event does not say. Read from the primary,
    never a replica that may not have them yet."""
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.licence == number, AuditEvent.seq > seq)
        .order_by(AuditEvent.seq)
    )
    return [_entry(policy, row) for row in rows]


def reason_codes(policy: Policy) -> list[ReasonCode]:
    """The whole reason-code catalogue, in its order."""
    return [
        ReasonCode(
            code=reason.code,
            actions=reason.actions,
            accepted_for=tuple(
                action for action in STATUS_ACTIONS if code in policy.reason_codes.get(action, ())
            ),
            labels=dict(reason.labels),
            article=reason.article.citations(),
        )
        for code, reason in CATALOGUE.items()
    ]


def _licence(number: str) -> Licence:
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    licence = db.session.scalars(select(Licence).where(Licence.number == number)).one_or_none()
    if licence is None:
        raise LicenceNotFound(number)
    return licence


def _entry(policy: Policy, row: AuditEvent) -> TimelineEntry:
    data: dict[str, Any] = json.loads(row.data)
    at = parse_utc(row.at)
    return TimelineEntry(
        at=at,
        date=policy.today(at),
        action=row.action,
        from_status=row.from_status,
        to_status=row.to_status,
        reason_code=row.reason_code,
        legal_basis=row.legal_basis,
        until=data.get("until") if sets_end_date(row.action) else None,
        decision=decision_from_data(data),
    )


# The orders a register may be read in; the id breaks ties so pages never overlap.
ORDERS = {
    "number": (Licence.number.asc(), Licence.id.asc()),
    "-number": (Licence.number.desc(), Licence.id.desc()),
    "issued_on": (Licence.issued_on.asc(), Licence.id.asc()),
    "-issued_on": (Licence.issued_on.desc(), Licence.id.desc()),
}


def search(
    policy: Policy,
    *,
    q: str | None = None,
    region: str | None = None,
    subtype: str | None = None,
    status: str | None = None,
    standing: str | None = None,
    order: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[PublicLicenceView]:
    """One page of the public register, filtered, in `order` (one of ORDERS; by default the order
    of issue)."""
    return _search(policy, q, region, subtype, status, standing, order, page, page_size)[0]


def register_page(
    policy: Policy,
    *,
    q: str | None = None,
    region: str | None = None,
    subtype: str | None = None,
    standing: str | None = None,
    order: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> tuple[Page[PublicLicenceView], AsOf]:
    """A page of the register as `search` reads it, and the register entry it is as of, both in
    one snapshot of the database public reads go to."""
    found, as_of = _search(
        policy, q, region, subtype, None, standing, order, page, page_size, as_of=True
    )
    assert as_of is not None
    return found, as_of


def _search(
    policy: Policy,
    q: str | None,
    region: str | None,
    subtype: str | None,
    status: str | None,
    standing: str | None,
    order: str | None,
    page: int,
    page_size: int,
    as_of: bool = False,
) -> tuple[Page[PublicLicenceView], AsOf | None]:
    today = policy.today(clock.now())
    filters = (q, region, subtype, status, standing)
    found = _search_at_once(today, filters, order, page, page_size)
    if found is None:
        found = _search_in_snapshot(today, filters, order, page, page_size)
    items, total, head = found
    return Page(items, total, page, page_size), head if as_of else None


def _search_at_once(
    today: date, filters: _Filters, order: str | None, page: int, page_size: int
) -> tuple[list[PublicLicenceView], int, AsOf] | None:
    """The page and the head of the register in one statement (one committed state, no
    transaction), when that is all it takes: the page tells its total by itself, or the total was
    counted before in the same state of the register. None otherwise (an empty page, a total not
    yet counted): `_search_in_snapshot` reads it."""
    q, region, subtype, status, standing = filters
    read = _page_read(bool(q), bool(region), bool(subtype), bool(status), standing or None, order)
    offset = (page - 1) * page_size
    rows = read.tuples(
        pattern=substring_pattern(q.casefold()) if q else None,
        region=region, subtype=subtype, status=status, today=today,
        limit=page_size, offset=offset,
    )  # fmt: skip
    if not rows:
        return None
    seq, at, hash_ = rows[0][-3:]
    if len(rows) < page_size:
        total: int | None = offset + len(rows)
    else:
        total = _totals.get((seq, hash_, today, *filters))
        if total is None:
            return None
    return [_view(row, today) for row in rows], total, AsOf(seq, at, hash_)


def _search_in_snapshot(
    today: date, filters: _Filters, order: str | None, page: int, page_size: int
) -> tuple[list[PublicLicenceView], int, AsOf]:
    """The page, the head and the count (when the page does not tell it) in one snapshot of the
    database public reads go to; the count kept for the next reader of the same state."""
    q, region, subtype, status, standing = filters
    # the public columns alone, through Core: no objects to build and track for a page of rows
    query = select(*_LOOKUP.statement.selected_columns)
    if q:
        query = query.where(contains(Licence.holder_name_folded, q))
    if region:
        query = query.where(Licence.region == region)
    if subtype:
        query = query.where(Licence.subtype == subtype)
    if status:
        query = query.where(Licence.status == status)
    if standing:
        query = query.where(standing_is(standing, today))
    with Session(public_read_engine()) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # the head, the page and the count from one snapshot, as SQLite's transaction gives
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        seq, at, hash_ = connection.execute(
            select(ChainHead.seq, ChainHead.at, ChainHead.hash)
        ).one()
        # the count changes only with the register (its head) and, for a standing, the day
        counted = (seq, hash_, today, *filters)
        found = paginate(
            session,
            query.order_by(*ORDERS[order]) if order else query.order_by(Licence.id),
            page,
            page_size,
            lambda row: PublicLicenceView.of_row(row, today),
            columns=True,
            total=_totals.get(counted),
        )
        _totals.put(counted, found.total)
        return found.items, found.total, AsOf(seq, at, hash_)


_Filters = tuple[str | None, str | None, str | None, str | None, str | None]


@cache
def _page_read(
    q: bool, region: bool, subtype: bool, status: bool, standing: str | None, order: str | None
) -> SingleRead:
    """A page of the register filtered on what is named (by a standing, today's), in `order`,
    with the head of the register beside each row: built and compiled once per kind of search,
    its values bound."""
    head = ChainHead.__table__.c
    query = select(
        *_LOOKUP.statement.selected_columns,
        *(select(column).scalar_subquery().label(f"head_{column.key}")
          for column in (head.seq, head.at, head.hash)),
    )  # fmt: skip
    if q:
        query = query.where(Licence.holder_name_folded.like(bindparam("pattern"), escape="\\"))
    if region:
        query = query.where(Licence.region == bindparam("region"))
    if subtype:
        query = query.where(Licence.subtype == bindparam("subtype"))
    if status:
        query = query.where(Licence.status == bindparam("status"))
    if standing:
        query = query.where(standing_is(standing, bindparam("today", type_=Date)))
    ordered = query.order_by(*ORDERS[order]) if order else query.order_by(Licence.id)
    return SingleRead(
        ordered.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    )


def _view(row: tuple[Any, ...], today: date) -> PublicLicenceView:
    """A public view from a row of `_page_read` (the lookup's columns first)."""
    number, holder_name, region, subtype, status, since, issued_on, expires_on, until = row[:9]
    word = standing_word(status, issued_on, expires_on, until, today)
    return PublicLicenceView(
        number, holder_name, region, subtype, status, word, word == IN_FORCE, since, expires_on,
        until,
    )  # fmt: skip


# The totals of the searches counted last, by the state of the register they were counted in: a
# count of 100,000 rows was most of a page of the unfiltered register. Kept per process; a
# committed change moves the head, and a total counted before it is never asked for again.
TOTALS_KEPT = 256
_totals: Kept[tuple[Any, ...], int] = Kept(TOTALS_KEPT)
