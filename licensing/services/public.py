"""The public register: what anyone may look up, without a token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from licensing import clock
from licensing.database import public_read_engine
from licensing.domain.decisions import decision_from_data
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.lifecycle import ISSUE, STATUS_ACTIONS, sets_end_date
from licensing.domain.policy import Policy
from licensing.domain.reasons import CATALOGUE
from licensing.domain.timestamps import parse_utc
from licensing.fastpaths.single_read import SingleRead
from licensing.models import AuditEvent, Licence, db
from licensing.services.listing import contains, paginate, standing_is
from licensing.services.results import LicenceView, Page, PublicLicenceView

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
    today = policy.today(clock.now())
    query = select(Licence)
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
        return paginate(
            session,
            query.order_by(*ORDERS[order]) if order else query.order_by(Licence.id),
            page,
            page_size,
            lambda row: PublicLicenceView.of(LicenceView.of(row, today)),
        )
