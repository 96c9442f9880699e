"""Rate limits on public routes, per client address, counted in shared storage when configured."""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

T = TypeVar("T")

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def init_app(app: Flask) -> None:
    limiter.init_app(app)


def public_limit(target: T) -> T:
    """Limit a blueprint or view to the configured public rate (LICENSING_RATELIMIT_PUBLIC)."""
    return limiter.limit(lambda: current_app.config["LICENSING_RATELIMIT_PUBLIC"])(target)  # type: ignore[no-any-return]
