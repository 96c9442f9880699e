"""The public register: what anyone may look up, without a token."""

from __future__ import annotations

from sqlalchemy import select

from licensing import clock
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.policy import Policy
from licensing.models import Licence, db
from licensing.services.listing import contains, paginate, standing_is
from licensing.services.results import LicenceView, Page, PublicLicenceView


def lookup(policy: Policy, number: str) -> PublicLicenceView:
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    licence = db.session.scalars(select(Licence).where(Licence.number == number)).one_or_none()
    if licence is None:
        raise LicenceNotFound(number)
    return PublicLicenceView.of(LicenceView.of(licence, policy.today(clock.now())))


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
    return paginate(
        db.session,
        query.order_by(*ORDERS[order]) if order else query.order_by(Licence.id),
        page,
        page_size,
        lambda row: PublicLicenceView.of(LicenceView.of(row, today)),
    )
