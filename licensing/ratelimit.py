"""Rate limits on public routes: one budget per client address, counted in shared storage when
configured."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

T = TypeVar("T")

# Every public route and page draws on this one bucket, so an address cannot multiply its budget
# by spreading requests over routes.
PUBLIC_SCOPE = "public"

# No X-RateLimit-* headers: Flask-Limiter would add them, and Retry-After, to every limited answer.
limiter = Limiter(key_func=get_remote_address, headers_enabled=False)

_public = limiter.shared_limit(
    lambda: current_app.config["LICENSING_RATELIMIT_PUBLIC"], scope=PUBLIC_SCOPE
)

# Names of the blueprints and views under the public limit, so the API's document can declare the
# 429 they may answer (flask-limiter keeps its own record private and evaluated per request).
_LIMITED: set[str] = set()


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    app.after_request(_retry_after)


def public_limit(target: T) -> T:
    """Count a blueprint or view against the public budget (LICENSING_RATELIMIT_PUBLIC), which all
    public routes share per client address."""
    _LIMITED.add(_name(target))
    if isinstance(target, Blueprint):
        _public(target)
        return target
    return _public(target)  # type: ignore[call-overload,no-any-return]


def is_public_limited(blueprint: str, view: Callable[..., Any]) -> bool:
    """Whether the view (as registered in the app) or its blueprint is under the public limit."""
    return blueprint in _LIMITED or _name(view) in _LIMITED


def _name(target: Any) -> str:
    if isinstance(target, Blueprint):
        return target.name
    return f"{target.__module__}.{target.__name__}"


def _retry_after(response: Response) -> Response:
    # Only a refused request is told when to come back; the body is the layer's own (problem+json
    # for the API), whichever error handler rendered it.
    limit = limiter.current_limit
    if response.status_code == 429 and limit is not None and limit.breached:
        wait = max(1, int(limit.reset_at - time.time()))
        response.headers.setdefault("Retry-After", str(wait))
    return response
