"""API tokens: created by an operator, shown once, kept only as a hash, each with one role."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from licensing.domain.errors import InvalidFields
from licensing.domain.holder import bin_problems
from licensing.domain.roles import MINER, ROLES
from licensing.domain.text import NAME, normalise_text
from licensing.models import ApiToken, db
from licensing.services.context import Actor
from licensing.services.transaction import write_transaction

PREFIX = "lic_"
TOKENS: Table = ApiToken.__table__  # type: ignore[assignment]
# every authenticated request runs this: built once, so SQLAlchemy keys and compiles it once
_ACTIVE = select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.holder_bin).where(
    ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None)
)


@dataclass(frozen=True)
class TokenView:
    name: str
    role: str
    holder_bin: str | None
    created_at: datetime
    revoked_at: datetime | None


def create(name: str, role: str, holder_bin: str | None = None) -> str:
    """A new token for `name`; the returned secret is never stored and cannot be shown again."""
    errors: dict[str, list[str]] = {}
    if problems := NAME.problems(name):
        errors["name"] = problems
    if role not in ROLES:
        errors["role"] = [f"Must be one of: {', '.join(ROLES)}."]
    if role == MINER:
        if not holder_bin:
            errors["bin"] = ["A miner token is bound to one holder: give its BIN."]
        elif problems := bin_problems(holder_bin):
            errors["bin"] = problems
    elif holder_bin is not None:
        errors["bin"] = ["Only a miner token is bound to a BIN."]
    if errors:
        raise InvalidFields(errors)
    name = normalise_text(name)
    secret = PREFIX + secrets.token_urlsafe(32)
    with write_transaction() as write:
        if _active(write.session, name) is not None:
            raise InvalidFields(
                {"name": ["An active token already has this name; revoke it first."]}
            )
        write.insert(
            TOKENS,
            {
                "name": name,
                "role": role,
                "holder_bin": holder_bin if role == MINER else None,
                "token_hash": secret_digest(secret),
                "created_at": write.now,
                "revoked_at": None,
            },
        )
    return secret


def revoke(name: str) -> bool:
    """Revoke the active token called `name`; False when there is none."""
    with write_transaction() as write:
        token = _active(write.session, name)
        if token is None:
            return False
        # the head's lock keeps it active until commit: its id alone names the row
        write.update(TOKENS, {"id": token.id}, {"revoked_at": write.now})
    return True


def listing() -> list[TokenView]:
    tokens = db.session.scalars(select(ApiToken).order_by(ApiToken.name, ApiToken.id))
    return [TokenView(t.name, t.role, t.holder_bin, t.created_at, t.revoked_at) for t in tokens]


def authenticate(secret: str) -> Actor | None:
    """The actor behind a presented token, or None when it is unknown or revoked."""
    token = db.session.execute(_ACTIVE, {"digest": secret_digest(secret)}).one_or_none()
    if token is None:
        return None
    return Actor(name=token.name, role=token.role, holder_bin=token.holder_bin, token_id=token.id)


def _active(session: Session, name: str) -> ApiToken | None:
    return session.scalars(
        select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
    ).one_or_none()


def secret_digest(secret: str) -> str:
    """How a random secret (a token, a set-up link) is kept: 256-bit random strings need only a
    fast hash, there is nothing to brute-force."""
    return hashlib.sha256(secret.encode()).hexdigest()
