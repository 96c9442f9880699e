"""Bearer tokens and roles: the one place that decides whether a caller may use a route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response
from flask_httpauth import HTTPTokenAuth
from flask_smorest import Blueprint

from licensing.api.problems import problem
from licensing.services import tokens
from licensing.services.context import Actor

F = TypeVar("F", bound=Callable[..., Any])

auth = HTTPTokenAuth(scheme="Bearer")
SECURITY = [{"bearerAuth": []}]


@auth.verify_token
def _verify(token: str) -> Actor | None:
    return tokens.authenticate(token) if token else None


@auth.get_user_roles
def _roles(actor: Actor) -> list[str]:
    return [actor.role]


@auth.error_handler
def _refused(status: int) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="licensing"'} if status == 401 else {}
    return problem(status, headers=headers)


def requires(*roles: str) -> Callable[[F], F]:
    """Let through only a valid token with one of `roles`: 401 without one, 403 for another role."""

    def decorate(view: F) -> F:
        guarded = auth.login_required(role=list(roles))(view)
        return Blueprint.doc(security=SECURITY, **{"x-roles": list(roles)})(guarded)

    return decorate


def current_actor() -> Actor | None:
    return auth.current_user()
