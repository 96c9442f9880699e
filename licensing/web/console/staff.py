"""Who is signed in to the console: the session cookie names the person and the epoch their
session began in, with when it began and when it was last used; the account decides the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from licensing import clock
from licensing.services import accounts
from licensing.services.accounts import Person
from licensing.services.context import Context

F = TypeVar("F", bound=Callable[..., Any])
KEY, PENDING = "person", "pending"


def begin(person: Person) -> None:
    """A signed-in session; anything the cookie held before is dropped (no fixation)."""
    session.clear()
    now = clock.now().timestamp()
    session[KEY] = {"id": person.id, "epoch": person.epoch, "began": now, "seen": now}
    session.permanent = True


def half_way(person: Person) -> None:
    """Password given; the second factor is still to come (for a few minutes)."""
    session.clear()
    session[PENDING] = {"id": person.id, "epoch": person.epoch, "at": clock.now().timestamp()}
    session.permanent = True


def pending() -> Person | None:
    held = session.get(PENDING)
    if not isinstance(held, dict) or clock.now().timestamp() - held.get("at", 0) > 300:
        return None
    try:
        return Person(int(held["id"]), "", "", "", int(held["epoch"]), needs_totp=True)
    except (KeyError, TypeError, ValueError):
        return None


def end() -> None:
    session.clear()


def current() -> Person | None:
    """The person this request's session names, if it is still alive; touching it keeps it so."""
    if "person" in g:
        return g.person  # type: ignore[no-any-return]
    g.person = _load()
    return g.person  # type: ignore[no-any-return]


def _load() -> Person | None:
    held = session.get(KEY)
    if not isinstance(held, dict):
        return None
    now = clock.now()
    try:
        began = datetime.fromtimestamp(float(held["began"]), now.tzinfo)
        seen = datetime.fromtimestamp(float(held["seen"]), now.tzinfo)
        person = accounts.signed_in(int(held["id"]), int(held["epoch"]))
    except (KeyError, TypeError, ValueError):
        person = None
    else:
        config = current_app.config
        idle = now - seen > config["LICENSING_SESSION_IDLE"]
        if idle or now - began > config["LICENSING_SESSION_MAX"]:
            person = None
    if person is None:
        session.clear()
        g.session_ended = True
        return None
    held["seen"] = now.timestamp()
    session[KEY] = held
    return person


def context() -> Context:
    person = current()
    assert person is not None
    return Context(
        actor=person.actor,
        policy=current_app.config["LICENSING_POLICY"],
        request_id=g.request_id,
    )


def requires(*roles: str) -> Callable[[F], F]:
    """Only a signed-in person with one of `roles`: others are sent to sign in, or refused."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            person = current()
            if person is None:
                if request.method != "GET":
                    abort(401)
                return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
            if person.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
