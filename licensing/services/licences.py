"""Use cases on licences: issue, amend, suspend, resume, revoke, and reading them back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from licensing import clock
from licensing.domain import lifecycle
from licensing.domain.errors import LicenceNotFound, VersionMismatch
from licensing.domain.licence import (
    Application,
    Details,
    check_amendment,
    check_application,
    format_number,
    is_licence_number,
    issue_record,
    recorded,
)
from licensing.domain.lifecycle import ISSUE, SUSPENDED
from licensing.domain.status_changes import StatusChange, check_notes, check_status_change
from licensing.models import AuditEvent, Licence, LicenceSerial, db
from licensing.services import events, idempotency
from licensing.services.context import Actor, Context
from licensing.services.listing import contains, contains_any_case, paginate, standing_is
from licensing.services.results import LicenceView, Outcome, Page
from licensing.services.transaction import Write, write_transaction


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    holder_bin: str | None = None
    region: str | None = None
    q: str | None = None
    overdue: bool | None = None
    standing: str | None = None


def issue(ctx: Context, application: Application) -> Outcome:
    request_fingerprint = idempotency.fingerprint(ISSUE, None, application)
    with write_transaction() as write:
        if replayed := idempotency.replay(write, ctx, request_fingerprint):
            return replayed
        today = ctx.policy.today(write.now)
        application = check_application(application, ctx.policy, today)
        assert application.issued_on and application.expires_on
        licence = Licence(
            number=_next_number(write.session, application.issued_on.year),
            **_details_columns(application.details),
            holder_bin=application.holder_bin,
            issued_on=application.issued_on,
            expires_on=application.expires_on,
            status=lifecycle.ISSUED,
            status_since=write.now,
            suspended_until=None,
            created_at=write.now,
            updated_at=write.now,
        )
        write.session.add(licence)
        write.session.flush()
        events.append(
            write,
            ctx,
            licence=licence.number,
            action=ISSUE,
            from_status=None,
            to_status=licence.status,
            data=issue_record(application),
        )
        return idempotency.remember(write, ctx, request_fingerprint, LicenceView.of(licence, today))


def change_status(
    ctx: Context,
    number: str,
    action: str,
    change: StatusChange,
    expected_versions: frozenset[int] | None = None,
) -> Outcome:
    """Suspend, resume or revoke, on the grounds and the decision `change` gives."""
    request_fingerprint = idempotency.fingerprint(action, number, change)
    with write_transaction() as write:
        if replayed := idempotency.replay(write, ctx, request_fingerprint):
            return replayed
        licence = _locked(write, ctx.actor, number, expected_versions)
        today = ctx.policy.today(write.now)
        new_status = lifecycle.next_status(licence.status, action)
        change = check_status_change(
            action, change, ctx.policy, today, licence.issued_on, licence.expires_on
        )
        old_status = licence.status
        licence.status = new_status
        licence.status_since = write.now
        licence.suspended_until = change.until if new_status == SUSPENDED else None
        licence.updated_at = write.now
        write.session.flush()
        events.append(
            write,
            ctx,
            licence=number,
            action=action,
            from_status=old_status,
            to_status=new_status,
            data=change.event_data(),
            reason_code=change.reason_code,
            reason=change.reason,
            legal_basis=change.legal_basis,
        )
        return idempotency.remember(write, ctx, request_fingerprint, LicenceView.of(licence, today))


def amend(
    ctx: Context,
    number: str,
    changes: Mapping[str, Any],
    *,
    reason: str | None = None,
    legal_basis: str | None = None,
    expected_versions: frozenset[int] | None = None,
) -> LicenceView:
    """Change a licence's details. Changing nothing is no amendment: no event, no new version."""
    with write_transaction() as write:
        licence = _locked(write, ctx.actor, number, expected_versions)
        today = ctx.policy.today(write.now)
        lifecycle.next_status(licence.status, lifecycle.AMEND)
        diff = check_amendment(_details(licence), changes)
        reason, legal_basis = check_notes(reason, legal_basis)
        if diff:
            for name, (_old, new) in diff.items():
                setattr(licence, name, new)
            licence.holder_name_folded = licence.holder_name.casefold()
            licence.updated_at = write.now
            write.session.flush()
            events.append(
                write,
                ctx,
                licence=number,
                action=lifecycle.AMEND,
                from_status=licence.status,
                to_status=licence.status,
                data={
                    name: [recorded(name, old), recorded(name, new)]
                    for name, (old, new) in diff.items()
                },
                reason=reason,
                legal_basis=legal_basis,
            )
        return LicenceView.of(licence, today)


def get(ctx: Context, number: str) -> LicenceView:
    licence = _visible(db.session, ctx.actor, number)
    return LicenceView.of(licence, ctx.policy.today(clock.now()))


def history(ctx: Context, number: str) -> list[dict[str, Any]]:
    _visible(db.session, ctx.actor, number)
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.licence == number).order_by(AuditEvent.seq)
    )
    return events.as_events(rows)


def find(ctx: Context, filters: Filters, page: int, page_size: int) -> Page[LicenceView]:
    today = ctx.policy.today(clock.now())
    query = select(Licence)
    if scope := ctx.actor.holder_scope:
        query = query.where(Licence.holder_bin == scope)
    if filters.status:
        query = query.where(Licence.status == filters.status)
    if filters.holder_bin:
        query = query.where(Licence.holder_bin == filters.holder_bin)
    if filters.region:
        query = query.where(Licence.region == filters.region)
    if filters.q:
        query = query.where(
            or_(
                contains(Licence.holder_name_folded, filters.q),
                contains_any_case(Licence.number, filters.q),
            )
        )
    if filters.standing:
        query = query.where(standing_is(filters.standing, today))
    if filters.overdue is not None:
        overdue = (Licence.status == SUSPENDED) & (Licence.suspended_until < today)
        query = query.where(overdue if filters.overdue else ~overdue)
    return paginate(
        db.session,
        query.order_by(Licence.id),
        page,
        page_size,
        lambda row: LicenceView.of(row, today),
    )


def _visible(session: Session, actor: Actor, number: str, *, lock: bool = False) -> Licence:
    """The licence if this actor may see it; a miner asking for another holder's gets not-found."""
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    query = select(Licence).where(Licence.number == number)
    if scope := actor.holder_scope:
        query = query.where(Licence.holder_bin == scope)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    licence = session.scalars(query).one_or_none()
    if licence is None:
        raise LicenceNotFound(number)
    return licence


def _locked(
    write: Write, actor: Actor, number: str, expected_versions: frozenset[int] | None
) -> Licence:
    licence = _visible(write.session, actor, number, lock=True)
    if expected_versions is not None and licence.version not in expected_versions:
        raise VersionMismatch(licence.version)
    return licence


def _next_number(session: Session, year: int) -> str:
    serial = session.get(LicenceSerial, year)
    if serial is None:
        serial = LicenceSerial(year=year, last=0)
        session.add(serial)
    serial.last += 1
    return format_number(year, serial.last)


# The row and the domain's Details share their field names; these two are the only crossings.
def _details(licence: Licence) -> Details:
    return Details(**{f.name: getattr(licence, f.name) for f in fields(Details)})


def _details_columns(details: Details) -> dict[str, Any]:
    return {**vars(details), "holder_name_folded": details.holder_name.casefold()}
