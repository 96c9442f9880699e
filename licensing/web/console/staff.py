"""Who is signed in to the console: the session cookie names a session the registry keeps
(services/accounts.py), which the account, its idle and absolute limits, and the person's own
"end" decide; half-way through signing in, the cookie holds who gave their password."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from licensing import clock
from licensing.services import accounts
from licensing.services.accounts import Person
from licensing.services.context import Context

F = TypeVar("F", bound=Callable[..., Any])
KEY, PENDING = "session", "pending"


def begin(person: Person) -> None:
    """A signed-in session; anything the cookie held before is dropped (no fixation), and a
    session it named ends, so no copy of the old cookie stays signed in."""
    secret = accounts.begin_session(person, request.headers.get("User-Agent", "")[:200], address())
    end()
    session[KEY] = secret
    session.permanent = True


def half_way(person: Person) -> None:
    """Password given; the second factor is still to come (for a few minutes). A session the
    cookie named ends."""
    end()
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
    """Sign out: the session ends in the registry, so a copy of the cookie opens nothing."""
    secret = session.get(KEY)
    if isinstance(secret, str):
        accounts.end_session(secret)
    session.clear()


def forget() -> None:
    """Drop what the cookie holds (its session already ended)."""
    session.clear()


def address() -> str:
    """The client's address (as the trusted proxies report it)."""
    return request.remote_addr or "-"


def current() -> Person | None:
    """The person this request's session names, if it is still open; using it keeps it so."""
    if "person" in g:
        return g.person  # type: ignore[no-any-return]
    g.person = _load()
    return g.person  # type: ignore[no-any-return]


def session_id() -> int | None:
    """The id of the session this request came in (once `current()` found one)."""
    current()
    return g.get("console_session")


def _load() -> Person | None:
    secret = session.get(KEY)
    if not isinstance(secret, str):
        return None
    config = current_app.config
    found = accounts.session_of(
        secret, config["LICENSING_SESSION_IDLE"], config["LICENSING_SESSION_MAX"]
    )
    if found is None:
        session.clear()
        g.session_ended = True
        return None
    person, g.console_session = found
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
