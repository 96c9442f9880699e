"""A licence's standing: the one word the public reads, derived from its status, its dates and
today. `status` is where the lifecycle stands; standing is what that means for a reader today."""

from __future__ import annotations

from datetime import date

from licensing.domain.lifecycle import ISSUED, RESUMED, REVOKED, SUSPENDED

IN_FORCE = "in_force"
SUSPENDED_NOW = "suspended"
SUSPENSION_OVERDUE = "suspension_overdue"  # suspended past its end; only a regulator resumes it
REVOKED_FOR_GOOD = "revoked"
EXPIRED = "expired"  # the term ran out
NOT_YET_IN_FORCE = "not_yet_in_force"  # the issue date is ahead

STANDINGS = (
    IN_FORCE,
    SUSPENDED_NOW,
    SUSPENSION_OVERDUE,
    REVOKED_FOR_GOOD,
    EXPIRED,
    NOT_YET_IN_FORCE,
)


def standing(
    status: str, issued_on: date, expires_on: date, suspended_until: date | None, today: date
) -> str:
    """What the licence is worth today. A revocation outweighs everything; then the term (a licence
    whose term ran out is expired whatever else befell it, one not yet begun is not in force);
    then the status."""
    if status == REVOKED:
        return REVOKED_FOR_GOOD
    if today > expires_on:
        return EXPIRED
    if today < issued_on:
        return NOT_YET_IN_FORCE
    if status == SUSPENDED:
        overdue = suspended_until is not None and suspended_until < today
        return SUSPENSION_OVERDUE if overdue else SUSPENDED_NOW
    if status in (ISSUED, RESUMED):
        return IN_FORCE
    raise ValueError(f"no standing for status {status!r}")
