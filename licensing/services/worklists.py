"""The console's worklists: what a licensing officer should look at today, each list a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from licensing import clock
from licensing.domain.decider import LicenceState
from licensing.domain.lifecycle import REVOKED, STATUS_ACTIONS, SUSPENDED
from licensing.models import AuditEvent, Licence, db
from licensing.services import events, proposals
from licensing.services.context import Context
from licensing.services.listing import newest_first, paginate
from licensing.services.proposals import ProposalView
from licensing.services.recording import STATE_COLUMNS
from licensing.services.results import LicenceView, Page, Slice

ENDING_SOON = timedelta(days=14)
EXPIRING_SOON = timedelta(days=90)
PAGE_SIZE = 10  # rows per worklist on one screen; each list has pages of its own


@dataclass(frozen=True)
class Asked:
    """Which page of each list the reader asked for; `decisions_before` is the trail's cursor."""

    overdue: int = 1
    ending_soon: int = 1
    expiring_soon: int = 1
    awaiting_approval: int = 1
    decisions_before: int | None = None


@dataclass(frozen=True)
class Worklists:
    overdue: Page[LicenceView]  # suspensions past their end: a decision is due
    ending_soon: Page[LicenceView]  # suspensions ending within 14 days
    expiring_soon: Page[LicenceView]  # licences whose term ends within 90 days
    recent_decisions: Slice[dict[str, Any]]  # the latest status changes, newest first
    awaiting_approval: Page[ProposalView]  # four eyes: proposals a second officer decides on


def worklists(ctx: Context, asked: Asked | None = None, size: int = PAGE_SIZE) -> Worklists:
    asked = asked or Asked()
    today = ctx.policy.today(clock.now())
    suspended = STATE_COLUMNS.where(Licence.status == SUSPENDED)

    def views(query: Any, page: int) -> Page[LicenceView]:
        return paginate(
            db.session, query, page, size,
            lambda row: LicenceView.of(LicenceState._make(row), today), columns=True,
        )  # fmt: skip

    decisions = select(AuditEvent).where(AuditEvent.action.in_(STATUS_ACTIONS))
    return Worklists(
        overdue=views(
            suspended.where(Licence.suspended_until < today).order_by(
                Licence.suspended_until, Licence.number
            ),
            asked.overdue,
        ),
        ending_soon=views(
            suspended.where(
                Licence.suspended_until >= today, Licence.suspended_until <= today + ENDING_SOON
            ).order_by(Licence.suspended_until, Licence.number),
            asked.ending_soon,
        ),
        expiring_soon=views(
            STATE_COLUMNS.where(
                Licence.status != REVOKED,
                Licence.expires_on >= today,
                Licence.expires_on <= today + EXPIRING_SOON,
            ).order_by(Licence.expires_on, Licence.number),
            asked.expiring_soon,
        ),
        recent_decisions=newest_first(
            db.session, decisions, AuditEvent.seq, asked.decisions_before, size, events.as_event
        ),
        awaiting_approval=proposals.pending(ctx, asked.awaiting_approval, size),
    )
