"""Idempotency keys: a repeated request with the same key and body gets the first answer again and
changes nothing; the same key with another body is refused."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select

from licensing.domain.errors import IdempotencyKeyReused
from licensing.models import IdempotencyRecord
from licensing.services.context import Context
from licensing.services.results import LicenceView, Outcome
from licensing.services.transaction import Write

_TABLE: Table = IdempotencyRecord.__table__  # type: ignore[assignment]


def fingerprint(operation: str, target: str | None, command: Any) -> str:
    """What makes two requests the same: the operation, its target and its parsed input."""
    material = {"operation": operation, "target": target, "input": asdict(command)}
    text = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(write: Write, ctx: Context, request_fingerprint: str) -> Outcome | None:
    """The kept answer for this request's key, None when the key is new (or its answer expired)."""
    record = replay_record(write, ctx, request_fingerprint)
    if record is None:
        return None
    return Outcome(LicenceView.from_record(record), replayed=True)


def replay_record(write: Write, ctx: Context, request_fingerprint: str) -> dict[str, Any] | None:
    """The kept answer for this request's key as it was kept (a record of a licence, or of
    another answer), None when the key is new (or its answer expired)."""
    key = ctx.idempotency_key
    owner = _owner(ctx)
    if key is None or owner is None:
        return None
    write.session.execute(
        delete(IdempotencyRecord).where(owner, IdempotencyRecord.created_at < write.now - key.ttl)
    )
    record = write.session.execute(
        select(IdempotencyRecord.fingerprint, IdempotencyRecord.result).where(
            owner, IdempotencyRecord.key == key.value
        )
    ).one_or_none()
    if record is None:
        return None
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(key.value)
    return json.loads(record.result)  # type: ignore[no-any-return]


def remember(write: Write, ctx: Context, request_fingerprint: str, view: LicenceView) -> Outcome:
    """Keep the answer under the request's key (if it has one) in the same transaction."""
    remember_record(write, ctx, request_fingerprint, view.to_record())
    return Outcome(view)


def remember_record(
    write: Write, ctx: Context, request_fingerprint: str, result: dict[str, Any]
) -> None:
    """Keep `result` (an answer as a JSON record) under the request's key, if it has one."""
    key = ctx.idempotency_key
    if key is not None and _owner(ctx) is not None:
        record = {
            "token_id": ctx.actor.token_id,
            "user_id": ctx.actor.user_id,
            "key": key.value,
            "fingerprint": request_fingerprint,
            "result": json.dumps(result),
            "created_at": write.now,
        }
        write.insert(_TABLE, record)


def _owner(ctx: Context) -> ColumnElement[bool] | None:
    """Whose keys these are: a token's (the API) or a person's (the console's forms)."""
    if ctx.actor.token_id is not None:
        return IdempotencyRecord.token_id == ctx.actor.token_id
    if ctx.actor.user_id is not None:
        return IdempotencyRecord.user_id == ctx.actor.user_id
    return None
