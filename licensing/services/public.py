"""The public register: what anyone may look up, without a token."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from licensing import clock
from licensing.database import public_read_engine
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.policy import Policy
from licensing.models import Licence
from licensing.services.listing import contains, paginate, standing_is
from licensing.services.results import LicenceView, Page, PublicLicenceView

_LICENCES = Licence.__table__
# Built once: the public columns (and issued_on, for the standing) of one licence, by number. Core
# rather than the ORM: one row to read and nothing to track, for the registry's hottest route.
_LOOKUP = select(
    *(
        _LICENCES.c[name]
        for name in (
            "number", "holder_name", "region", "subtype", "status", "status_since", "issued_on",
            "expires_on", "suspended_until",
        )
    )
).where(_LICENCES.c.number == bindparam("number"))  # fmt: skip


def lookup(policy: Policy, number: str) -> PublicLicenceView:
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    # every lookup reads the committed row itself: nothing is cached, so no answer is older than
    # the last change committed to that licence
    with public_read_engine().connect() as connection:
        row = connection.execute(_LOOKUP, {"number": number}).one_or_none()
    if row is None:
        raise LicenceNotFound(number)
    return PublicLicenceView.of_row(row, policy.today(clock.now()))


def search(
    policy: Policy,
    *,
    q: str | None = None,
    region: str | None = None,
    status: str | None = None,
    standing: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[PublicLicenceView]:
    today = policy.today(clock.now())
    query = select(Licence)
    if q:
        query = query.where(contains(Licence.holder_name_folded, q))
    if region:
        query = query.where(Licence.region == region)
    if status:
        query = query.where(Licence.status == status)
    if standing:
        query = query.where(standing_is(standing, today))
    with Session(public_read_engine()) as session:
        return paginate(
            session,
            query.order_by(Licence.id),
            page,
            page_size,
            lambda row: PublicLicenceView.of(LicenceView.of(row, today)),
        )
