"""Use cases on licences: issue, amend, suspend, resume, revoke, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, bindparam, or_, select
from sqlalchemy.orm import Session

from licensing import clock
from licensing.domain.decider import (
    Amend,
    ChangeStatus,
    Issue,
    LicenceEvent,
    LicenceState,
    decide,
    evolve,
)
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import Application, format_number, is_licence_number
from licensing.domain.lifecycle import ISSUE, SUSPENDED
from licensing.models import AuditEvent, Licence, LicenceSerial, db
from licensing.services import events, idempotency, recording
from licensing.services.context import Actor, Context
from licensing.services.listing import contains, contains_any_case, paginate, standing_is
from licensing.services.results import LicenceView, Outcome, Page
from licensing.services.transaction import Write, with_head, write_transaction

# The statements that lock what a write decides on, with the chain head, built once.
_LICENCES = recording.LICENCES
_SERIALS: Table = LicenceSerial.__table__  # type: ignore[assignment]
_WITH_LICENCE = with_head(_LICENCES).where(_LICENCES.c.number == bindparam("number"))
_LOCK = _WITH_LICENCE.with_for_update()
_LOCK_HELD = _WITH_LICENCE.where(
    _LICENCES.c.holder_bin == bindparam("holder_bin")
).with_for_update()
_SERIAL = select(_SERIALS.c.last).where(_SERIALS.c.year == bindparam("serial_year"))
_SERIAL_LOCK = (
    with_head(_SERIALS).where(_SERIALS.c.year == bindparam("serial_year")).with_for_update()
)


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
        year = (application.issued_on or ctx.policy.today(write.now)).year
        command = Issue(_next_number(write, year), application)
        issued = recording.carry_out(write, ctx, None, command)
        view = LicenceView.of(issued, ctx.policy.today(write.now))
        return idempotency.remember(write, ctx, request_fingerprint, view)


def change_status(ctx: Context, number: str, command: ChangeStatus) -> Outcome:
    """Suspend, resume or revoke (any of the machine's status actions), on the grounds and the
    decision the command gives."""
    request_fingerprint = idempotency.fingerprint(command.action, number, command.change)
    with write_transaction(*_lock(ctx.actor, number)) as write:
        if replayed := idempotency.replay(write, ctx, request_fingerprint):
            return replayed
        changed = recording.carry_out(write, ctx, _locked(write, number), command)
        view = LicenceView.of(changed, ctx.policy.today(write.now))
        return idempotency.remember(write, ctx, request_fingerprint, view)


def amend(ctx: Context, number: str, command: Amend) -> LicenceView:
    """Change a licence's details. Changing nothing is no amendment: no event, no new version."""
    with write_transaction(*_lock(ctx.actor, number)) as write:
        amended = recording.carry_out(write, ctx, _locked(write, number), command)
        return LicenceView.of(amended, ctx.policy.today(write.now))


@dataclass(frozen=True)
class Preview:
    """What a command would record and the licence it would leave, written nowhere: the event is
    None when the command changes nothing."""

    event: LicenceEvent | None
    before: LicenceView | None
    after: LicenceView


# Issuing takes its number when it is recorded; a preview shows the licence without one.
UNNUMBERED = ""


def preview_issue(ctx: Context, application: Application) -> Preview:
    """The licence `application` would make, checked as issuing checks it."""
    now = clock.now()
    event = decide(None, Issue(UNNUMBERED, application), ctx.policy, now)
    assert event is not None
    return Preview(event, None, LicenceView.of(evolve(None, event), ctx.policy.today(now)))


def preview(ctx: Context, number: str, command: Amend | ChangeStatus) -> Preview:
    """What `command` would do to the licence now, checked as recording it checks it."""
    state = recording.state_of(_visible(db.session, ctx.actor, number))
    now = clock.now()
    today = ctx.policy.today(now)
    event = decide(state, command, ctx.policy, now)
    after = state if event is None else evolve(state, event)
    return Preview(event, LicenceView.of(state, today), LicenceView.of(after, today))


def get(ctx: Context, number: str) -> LicenceView:
    state = recording.state_of(_visible(db.session, ctx.actor, number))
    return LicenceView.of(state, ctx.policy.today(clock.now()))


def history(ctx: Context, number: str) -> list[dict[str, Any]]:
    _visible(db.session, ctx.actor, number)
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.licence == number).order_by(AuditEvent.seq)
    )
    return events.as_events(rows)


def history_page(ctx: Context, number: str, page: int, page_size: int) -> Page[dict[str, Any]]:
    """A page of the licence's events, oldest first (a licence's pages never shift: its events
    are only ever added at the end)."""
    _visible(db.session, ctx.actor, number)
    query = select(AuditEvent).where(AuditEvent.licence == number).order_by(AuditEvent.seq)
    return paginate(db.session, query, page, page_size, events.as_event)


def find(ctx: Context, filters: Filters, page: int, page_size: int) -> Page[LicenceView]:
    today = ctx.policy.today(clock.now())
    query = recording.STATE_COLUMNS
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
        lambda row: LicenceView.of(LicenceState._make(row), today),
        columns=True,
    )


def _visible(session: Session, actor: Actor, number: str) -> Licence:
    """The licence if this actor may see it; a miner asking for another holder's gets not-found."""
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    query = select(Licence).where(Licence.number == number)
    if scope := actor.holder_scope:
        query = query.where(Licence.holder_bin == scope)
    licence = session.scalars(query).one_or_none()
    if licence is None:
        raise LicenceNotFound(number)
    return licence


def _locked(write: Write, number: str) -> LicenceState:
    """The licence the write's lock found with the head; not found when it found none (no such
    number, or not this actor's)."""
    if write.locked is None:
        raise LicenceNotFound(number)
    return recording.state_of(write.locked)


def lock_of(actor: Actor, number: str) -> tuple[Select[Any], dict[str, Any]]:
    """The statement (and its parameters) that locks the head and the licence's row together, if
    this actor may see it: for a use case that decides on a licence without changing it here."""
    return _lock(actor, number)


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
    a new year (or a write that crossed into one while it waited) reads it here."""
    locked = write.locked
    if locked is not None and locked.year == year:
        last = int(locked.last)
    else:
        last = write.session.execute(_SERIAL, {"serial_year": year}).scalar_one_or_none()
    if last is None:
        write.insert(_SERIALS, {"year": year, "last": 1})
        return format_number(year, 1)
    write.update(_SERIALS, {"year": year, "last": last}, {"last": last + 1})
    return format_number(year, last + 1)
