"""Rate limits on public routes: one budget per client address, counted in shared storage when
configured.

The budget is checked with the `limits` library directly (fixed windows, the same counters and
Redis keys Flask-Limiter would use): a public lookup is the registry's hottest path, and the
extension's per-request bookkeeping cost more than the lookup itself."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from licensing import metrics

T = TypeVar("T")

# Every public route and page draws on this one bucket, so an address cannot multiply its budget
# by spreading requests over routes.
PUBLIC_SCOPE = "public"
_EXTENSION = "licensing.public_budget"

# Names of the blueprints and views under the public limit, so the API's document can declare the
# 429 they may answer.
_LIMITED: set[str] = set()


class LocalCounters(MemoryStorage):
    """`memory://`: limits' in-process counters, without the timer thread it starts every 10 ms
    to drop expired keys; expired keys are dropped on the next look, and swept now and then."""

    SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        super().__init__()
        self._hits = 0
        self._guard = threading.Lock()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._guard:
            self._hits += 1
            if self._hits % self.SWEEP_EVERY == 0:
                for stale in [k for k, at in self.expirations.items() if at <= now]:
                    self.storage.pop(stale, None)
                    self.expirations.pop(stale, None)
            if self.expirations.get(key, 0) <= now:
                self.storage.pop(key, None)
                self.expirations[key] = now + expiry
            self.storage[key] += amount
            return self.storage[key]


class PublicBudget:
    def __init__(
        self,
        storage: Storage,
        limits: list[RateLimitItem],
        prefix: str = "",
        scope: str = PUBLIC_SCOPE,
        refusals: Any = metrics.RATE_LIMITED,
    ) -> None:
        self.strategy = FixedWindowRateLimiter(storage)
        self.limits = limits
        # several registries (or test runs) sharing one Redis keep apart by a prefix
        self.scope = (prefix, scope) if prefix else (scope,)
        self.refusals = refusals

    def spend(self, address: str) -> None:
        """Count one request from `address`; 429 past any of the limits."""
        for limit in self.limits:
            if not self.strategy.hit(limit, *self.scope, address):
                reset_at = self.strategy.get_window_stats(limit, *self.scope, address).reset_time
                g.public_budget_reset_at = reset_at
                self.refusals.inc()
                abort(429)


# Signing in, giving the second factor and setting up an account draw on a budget of their own,
# far smaller than the public one: each answer costs an Argon2 hash, and guessing is the point of
# asking fast.
SIGN_IN_SCOPE = "sign-in"
_SIGN_IN_EXTENSION = "licensing.sign_in_budget"


def init_app(app: Flask) -> None:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    storage = LocalCounters() if uri == "memory://" else storage_from_string(uri)
    prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")
    app.extensions[_EXTENSION] = PublicBudget(
        storage, parse_many(app.config["LICENSING_RATELIMIT_PUBLIC"]), prefix
    )
    app.extensions[_SIGN_IN_EXTENSION] = PublicBudget(
        storage,
        parse_many(app.config["LICENSING_RATELIMIT_SIGNIN"]),
        prefix,
        SIGN_IN_SCOPE,
        metrics.SIGN_IN_RATE_LIMITED,
    )
    app.after_request(_retry_after)


def sign_in_limit(*methods: str) -> Callable[[T], T]:
    """Count a view's requests (those of `methods`; all when none given) against the sign-in
    budget (LICENSING_RATELIMIT_SIGNIN), which the sign-in, code and set-up pages share per
    client address."""

    def decorate(target: T) -> T:
        view: Callable[..., Any] = target  # type: ignore[assignment]

        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if not methods or request.method in methods:
                budget = current_app.extensions[_SIGN_IN_EXTENSION]
                budget.spend(request.remote_addr or "127.0.0.1")
            return view(*args, **kwargs)

        return limited  # type: ignore[return-value]

    return decorate


def _spend() -> None:
    current_app.extensions[_EXTENSION].spend(request.remote_addr or "127.0.0.1")


def public_limit(target: T) -> T:
    """Count a blueprint or view against the public budget (LICENSING_RATELIMIT_PUBLIC), which all
    public routes share per client address."""
    _LIMITED.add(_name(target))
    if isinstance(target, Blueprint):
        target.before_request(_spend)
        return target
    view: Callable[..., Any] = target  # type: ignore[assignment]

    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        _spend()
        return view(*args, **kwargs)

    return limited  # type: ignore[return-value]


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
    reset_at = g.get("public_budget_reset_at")
    if response.status_code == 429 and reset_at is not None:
        response.headers.setdefault("Retry-After", str(max(1, int(reset_at - time.time()))))
    return response
