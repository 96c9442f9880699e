"""Who is asking, under which rules, in which request: what every use case is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from licensing.domain.policy import Policy
from licensing.domain.roles import holder_scope


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    holder_bin: str | None = None
    token_id: int | None = None
    user_id: int | None = None  # a person signed in to the console

    @property
    def holder_scope(self) -> str | None:
        return holder_scope(self.role, self.holder_bin)


@dataclass(frozen=True)
class IdempotencyKey:
    value: str
    ttl: timedelta


@dataclass(frozen=True)
class Context:
    actor: Actor
    policy: Policy
    request_id: str
    idempotency_key: IdempotencyKey | None = None
