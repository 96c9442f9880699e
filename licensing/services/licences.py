"""Use cases on licences: issue, amend, suspend, resume, revoke, and reading them back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, Table, bindparam, insert, or_, select, update
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
from licensing.services.transaction import (
    Write,
    named,
    one_row_insert,
    with_head,
    write_transaction,
)

# The statements of issuing and changing a status, built once (see transaction.Write.change).
_LICENCES: Table = Licence.__table__  # type: ignore[assignment]
_SERIALS: Table = LicenceSerial.__table__  # type: ignore[assignment]
_ISSUE = one_row_insert(_LICENCES, "licence_")
_CHANGE_STATUS = (
    update(_LICENCES)
    .where(
        _LICENCES.c.id == bindparam("licence_id"),
        _LICENCES.c.version == bindparam("licence_version_was"),
    )
    .values(
        {
            name: bindparam("licence_" + name, type_=_LICENCES.c[name].type)
            for name in ("status", "status_since", "suspended_until", "updated_at", "version")
        }
    )
)
_WITH_LICENCE = with_head(_LICENCES).where(_LICENCES.c.number == bindparam("number"))
_LOCK = _WITH_LICENCE.with_for_update()
_LOCK_HELD = _WITH_LICENCE.where(
    _LICENCES.c.holder_bin == bindparam("holder_bin")
).with_for_update()
_NEXT_SERIAL = (
    update(_SERIALS)
    .where(_SERIALS.c.year == bindparam("serial_year"))
    .values(last=_SERIALS.c.last + 1)
    .returning(_SERIALS.c.last)
)
_SERIAL_LOCK = (
    with_head(_SERIALS).where(_SERIALS.c.year == bindparam("serial_year")).with_for_update()
)
_SET_SERIAL = (
    update(_SERIALS)
    .where(
        _SERIALS.c.year == bindparam("serial_year"),
        _SERIALS.c.last == bindparam("serial_last_was"),
    )
    .values(last=bindparam("serial_last"))
)
_FIRST_SERIAL = insert(_SERIALS).values(year=bindparam("serial_year"), last=1)


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
    # the year whose serial row is locked with the head; checked again under the lock
    year = (application.issued_on or ctx.policy.today(clock.now())).year
    with write_transaction(_SERIAL_LOCK, {"serial_year": year}) as write:
        if replayed := idempotency.replay(write, ctx, request_fingerprint):
            return replayed
        today = ctx.policy.today(write.now)
        application = check_application(application, ctx.policy, today)
        assert application.issued_on and application.expires_on
        row = {
            "number": _next_number(write, application.issued_on.year),
            **_details_columns(application.details),
            "holder_bin": application.holder_bin,
            "issued_on": application.issued_on,
            "expires_on": application.expires_on,
            "status": lifecycle.ISSUED,
            "status_since": write.now,
            "suspended_until": None,
            "version": 1,
            "created_at": write.now,
            "updated_at": write.now,
        }
        write.change(_ISSUE, named("licence_", row))
        events.append(
            write,
            ctx,
            licence=row["number"],
            action=ISSUE,
            from_status=None,
            to_status=row["status"],
            data=issue_record(application),
        )
        view = LicenceView.of(SimpleNamespace(**row), today)
        return idempotency.remember(write, ctx, request_fingerprint, view)


def change_status(
    ctx: Context,
    number: str,
    action: str,
    change: StatusChange,
    expected_versions: frozenset[int] | None = None,
) -> Outcome:
    """Suspend, resume or revoke, on the grounds and the decision `change` gives."""
    request_fingerprint = idempotency.fingerprint(action, number, change)
    with write_transaction(*_lock(ctx.actor, number)) as write:
        if replayed := idempotency.replay(write, ctx, request_fingerprint):
            return replayed
        licence = write.locked
        if licence is None:
            raise LicenceNotFound(number)
        _expect(licence.version, expected_versions)
        today = ctx.policy.today(write.now)
        new_status = lifecycle.next_status(licence.status, action)
        change = check_status_change(
            action, change, ctx.policy, today, licence.issued_on, licence.expires_on
        )
        changed = {
            "status": new_status,
            "status_since": write.now,
            "suspended_until": change.until if new_status == SUSPENDED else None,
            "updated_at": write.now,
            "version": licence.version + 1,
        }
        write.change(
            _CHANGE_STATUS,
            {"licence_id": licence.id, "licence_version_was": licence.version}
            | named("licence_", changed),
        )
        events.append(
            write,
            ctx,
            licence=number,
            action=action,
            from_status=licence.status,
            to_status=new_status,
            data=change.event_data(),
            reason_code=change.reason_code,
            reason=change.reason,
            legal_basis=change.legal_basis,
        )
        view = LicenceView.of(SimpleNamespace(**{**licence._mapping, **changed}), today)
        return idempotency.remember(write, ctx, request_fingerprint, view)


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
    _expect(licence.version, expected_versions)
    return licence


def _expect(version: int, expected_versions: frozenset[int] | None) -> None:
    """VersionMismatch unless the licence is at a version the client named (If-Match)."""
    if expected_versions is not None and version not in expected_versions:
        raise VersionMismatch(version)


def _lock(actor: Actor, number: str) -> tuple[Select[Any], dict[str, Any]]:
    """The statement that locks the head and the licence's row together, if this actor may see
    it."""
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    if scope := actor.holder_scope:
        return _LOCK_HELD, {"number": number, "holder_bin": scope}
    return _LOCK, {"number": number}


def _next_number(write: Write, year: int) -> str:
    """The next serial of `year`, taken while the head is locked, so no two writes get the same
    one and a rolled-back write gives its serial back. Its row was usually locked with the head;
    a new year (or a write that crossed into one while it waited) takes it here."""
    locked = write.locked
    if locked is not None and locked.year == year:
        last = int(locked.last) + 1
        write.change(
            _SET_SERIAL, {"serial_year": year, "serial_last_was": last - 1, "serial_last": last}
        )
        return format_number(year, last)
    last = write.session.execute(_NEXT_SERIAL, {"serial_year": year}).scalar_one_or_none()
    if last is None:
        last = 1
        write.session.execute(_FIRST_SERIAL, {"serial_year": year})
    return format_number(year, last)


# The row and the domain's Details share their field names; these two are the only crossings.
def _details(licence: Licence) -> Details:
    return Details(**{f.name: getattr(licence, f.name) for f in fields(Details)})


def _details_columns(details: Details) -> dict[str, Any]:
    return {**vars(details), "holder_name_folded": details.holder_name.casefold()}
