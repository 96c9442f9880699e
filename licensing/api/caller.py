"""What a route hands to a use case: who is asking, under which rules, with which preconditions."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app, g, request

from licensing.api.auth import current_actor
from licensing.domain.errors import InvalidFields
from licensing.services.context import Actor, Context, IdempotencyKey

ANONYMOUS = Actor(name="anonymous", role="public")
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII


def current_context() -> Context:
    return Context(
        actor=current_actor() or ANONYMOUS,
        policy=current_app.config["LICENSING_POLICY"],
        request_id=g.request_id,
        idempotency_key=_idempotency_key(),
    )


def _idempotency_key() -> IdempotencyKey | None:
    value = request.headers.get("Idempotency-Key")
    if value is None or request.method != "POST":
        return None
    if not KEY_PATTERN.fullmatch(value):
        raise InvalidFields({"Idempotency-Key": ["Must be 1 to 255 visible ASCII characters."]})
    ttl = timedelta(hours=current_app.config["LICENSING_IDEMPOTENCY_TTL_HOURS"])
    return IdempotencyKey(value, ttl)
