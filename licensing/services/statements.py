"""Signed status statements: issue one for a licence, and check one a person hands in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select

from licensing import clock
from licensing.domain import statement_rules
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.policy import Policy
from licensing.domain.statement_rules import LicenceFacts, StatementCheck, StatementRules
from licensing.domain.timestamps import parse_utc
from licensing.fastpaths.single_read import SingleRead
from licensing.models import AuditEvent, Licence, db
from licensing.services import public, signing
from licensing.services.results import standing_today
from licensing.services.signing import Signer

# What a statement states comes from the licence's row and its last event, as they are; its
# standing is worked out for the day, and the last change is the event's time.
_WORKED_OUT = ("standing", "in_force", "last_change")
_FROM_ROW = tuple(f.name for f in fields(LicenceFacts) if f.name not in _WORKED_OUT)
_LICENCES, _EVENTS = Licence.__table__, AuditEvent.__table__
# Built once: the licence's columns a statement needs, with its last event.
_FACTS = SingleRead(
    select(
        *(_LICENCES.c[name] for name in _FROM_ROW if name not in ("seq", "hash")),
        _EVENTS.c.seq,
        _EVENTS.c.hash,
        _EVENTS.c.at,
    )
    .join_from(_LICENCES, _EVENTS, _EVENTS.c.licence == _LICENCES.c.number)
    .where(_LICENCES.c.number == bindparam("number"))
    .order_by(_EVENTS.c.seq.desc())
    .limit(1)
)

__all__ = ["Statement", "StatementCheck", "against_register", "check", "issue"]


@dataclass(frozen=True)
class Statement:
    """A statement as served: the compact JWS, its claims, when it stops holding, and its ETag
    (which changes with the licence's last event, its standing and the statement window)."""

    token: str
    claims: dict[str, Any]
    expires_at: datetime
    etag: str

    def max_age(self, now: datetime, rules: StatementRules) -> int:
        """Seconds a client may keep it without asking again: until one window before it expires,
        so a cached copy is always replaced while it still holds."""
        return max(0, int((self.expires_at - rules.window - now).total_seconds()))


def issue(number: str, signer: Signer, policy: Policy, rules: StatementRules) -> Statement:
    """A statement of the licence's public standing, signed for the current window; LicenceNotFound
    for a number that is malformed or unknown."""
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    # the licence and its last event in one statement: one committed state, read on every request
    row = _FACTS(number=number)
    if row is None:
        raise LicenceNotFound(number)
    now = clock.now()
    facts = LicenceFacts(
        **{name: getattr(row, name) for name in _FROM_ROW},
        **standing_today(row, policy.today(now)),
        last_change=parse_utc(row.at),
    )
    claims = statement_rules.claims(facts, rules, now, policy.timezone)
    token = signer.sign(statement_rules.payload(claims))
    return Statement(
        token=token,
        claims=claims,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        etag=hashlib.sha256(token.encode()).hexdigest()[:32],
    )


def check(
    token: str,
    jwks: dict[str, Any] | None = None,
    at: datetime | None = None,
    issuer: str | None = None,
) -> StatementCheck:
    """Whether `token` is a genuine statement (of `issuer`, when given), current at `at` (default:
    now), checked against `jwks` (default: the registry's own public keys, retired ones
    included)."""
    keys = signing.jwks() if jwks is None else jwks
    return statement_rules.check(token, keys, at or clock.now(), issuer)


def against_register(
    check: StatementCheck, policy: Policy, at: datetime | None = None
) -> StatementCheck:
    """`check`, with what the register holds: a genuine statement of a licence or an event the
    register does not hold is not in the register; one with changes to its licence since its
    event (recorded by `at`, when given) is superseded, however long it would still run."""
    if not check.genuine or check.claims is None or check.licence is None:
        return check
    seq = check.claims["seq"]
    held = db.session.scalar(select(Licence.number).where(Licence.number == check.licence))
    event = db.session.execute(
        select(AuditEvent.licence, AuditEvent.hash).where(AuditEvent.seq == seq)
    ).one_or_none()
    missing = statement_rules.not_held(check.claims, held is not None, event and tuple(event))
    if missing is not None:
        return replace(check, not_in_register=missing)
    changes = public.changes_after(policy, check.licence, check.claims["seq"])
    changes = [change for change in changes if at is None or change.at <= at]
    return replace(check, changed_since=tuple(changes)) if changes else check
