"""Signed status statements: issue one for a licence, and check one a person hands in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from licensing import clock
from licensing.domain import statements
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.policy import Policy
from licensing.domain.statements import LicenceFacts, StatementCheck, StatementRules
from licensing.domain.timestamps import parse_utc
from licensing.models import AuditEvent, Licence, db
from licensing.services import signing
from licensing.services.results import LicenceView
from licensing.services.signing import Signer

# What a statement states of the licence comes from its view; the rest from its last event.
_FROM_VIEW = tuple(
    f.name for f in fields(LicenceFacts) if f.name not in ("seq", "hash", "last_change")
)

__all__ = ["Statement", "StatementCheck", "check", "issue"]


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
    """A freshly signed statement of the licence's public standing; LicenceNotFound for a number
    that is malformed or unknown."""
    if not is_licence_number(number):
        raise LicenceNotFound(number)
    licence = db.session.scalars(select(Licence).where(Licence.number == number)).one_or_none()
    if licence is None:
        raise LicenceNotFound(number)
    last = db.session.execute(
        select(AuditEvent.seq, AuditEvent.hash, AuditEvent.at)
        .where(AuditEvent.licence == number)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).one()
    now = clock.now()
    view = LicenceView.of(licence, policy.today(now))
    facts = LicenceFacts(
        **{name: getattr(view, name) for name in _FROM_VIEW},
        seq=last.seq,
        hash=last.hash,
        last_change=parse_utc(last.at),
    )
    claims = statements.claims(facts, rules, now, policy.timezone)
    token = signer.sign(statements.payload(claims))
    return Statement(
        token=token,
        claims=claims,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        etag=hashlib.sha256(token.encode()).hexdigest()[:32],
    )


def check(
    token: str, jwks: dict[str, Any] | None = None, at: datetime | None = None
) -> StatementCheck:
    """Whether `token` is a genuine statement, current at `at` (default: now), checked against
    `jwks` (default: the registry's own public keys, retired ones included)."""
    return statements.check(token, signing.jwks() if jwks is None else jwks, at or clock.now())
