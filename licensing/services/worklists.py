"""The console's worklists: what a licensing officer should look at today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from licensing import clock
from licensing.domain.lifecycle import REVOKED, STATUS_ACTIONS, SUSPENDED
from licensing.models import AuditEvent, Licence, db
from licensing.services import events, proposals
from licensing.services.context import Context
from licensing.services.proposals import ProposalView
from licensing.services.results import LicenceView

ENDING_SOON = timedelta(days=14)
EXPIRING_SOON = timedelta(days=90)
LONGEST = 50  # rows per worklist; the licence list has the rest, with filters and pages


@dataclass(frozen=True)
class Worklists:
    overdue: list[LicenceView]  # suspensions past their end: a decision is due
    ending_soon: list[LicenceView]  # suspensions ending within 14 days
    expiring_soon: list[LicenceView]  # licences whose term ends within 90 days
    recent_decisions: list[dict[str, Any]]  # the latest status changes, newest first
    awaiting_approval: list[ProposalView]  # four eyes: proposals a second officer decides on


def worklists(ctx: Context) -> Worklists:
    today = ctx.policy.today(clock.now())
    suspended = select(Licence).where(Licence.status == SUSPENDED)

    def views(query: Any) -> list[LicenceView]:
        return [LicenceView.of(row, today) for row in db.session.scalars(query.limit(LONGEST))]

    recent = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(STATUS_ACTIONS))
        .order_by(AuditEvent.seq.desc())
        .limit(20)
    )
    return Worklists(
        overdue=views(
            suspended.where(Licence.suspended_until < today).order_by(Licence.suspended_until)
        ),
        ending_soon=views(
            suspended.where(
                Licence.suspended_until >= today, Licence.suspended_until <= today + ENDING_SOON
            ).order_by(Licence.suspended_until)
        ),
        expiring_soon=views(
            select(Licence)
            .where(
                Licence.status != REVOKED,
                Licence.expires_on >= today,
                Licence.expires_on <= today + EXPIRING_SOON,
            )
            .order_by(Licence.expires_on)
        ),
        recent_decisions=events.as_events(recent),
        awaiting_approval=proposals.pending(ctx, LONGEST),
    )
