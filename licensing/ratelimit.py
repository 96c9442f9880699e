"""Rate limits on public routes, per client address, counted in shared storage when configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

T = TypeVar("T")

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)

# Names of the blueprints and views under the public limit, so the API's document can declare the
# 429 they may answer (flask-limiter keeps its own record private and evaluated per request).
_LIMITED: set[str] = set()


def init_app(app: Flask) -> None:
    limiter.init_app(app)


def public_limit(target: T) -> T:
    """Limit a blueprint or view to the configured public rate (LICENSING_RATELIMIT_PUBLIC)."""
    _LIMITED.add(_name(target))
    return limiter.limit(lambda: current_app.config["LICENSING_RATELIMIT_PUBLIC"])(target)  # type: ignore[no-any-return]


def is_public_limited(blueprint: str, view: Callable[..., Any]) -> bool:
    """Whether the view (as registered in the app) or its blueprint is under the public limit."""
    return blueprint in _LIMITED or _name(view) in _LIMITED


def _name(target: Any) -> str:
    if isinstance(target, Blueprint):
        return target.name
    return f"{target.__module__}.{target.__name__}"
