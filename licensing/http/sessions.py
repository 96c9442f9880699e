"""The console's cookie: Flask's signed cookie (signed with the web layer's secret key), HttpOnly,
SameSite=Strict, Secure whenever the request came over HTTPS. It names a session the registry
keeps in its database (services/accounts.py), whose end, idle timeout and absolute lifetime the
console checks on every request; besides, it holds the form token and a sign-in half done.
Nothing is kept in a process, so any worker can serve any request."""

from __future__ import annotations

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure whenever the request came over HTTPS."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Without a cookie there is nothing to check, so no signer to build: most requests (the
        # API's, the public pages') carry none. What Flask answers then: a new, empty session.
        if not request.cookies.get(self.get_cookie_name(app)) and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or request.is_secure)


def init_app(app: Flask) -> None:
    """Call after the web layer, whose cookie settings these tighten."""
    app.session_interface = SessionCookie()
    app.config.update(
        SESSION_COOKIE_NAME="licensing_session",
        SESSION_COOKIE_HTTPONLY=True,
        # a session is never sent along with a request another site started: no forged posts,
        # no console page opened in someone else's frame or link with the person's rights
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_REFRESH_EACH_REQUEST=True,
        PERMANENT_SESSION_LIFETIME=app.config["LICENSING_SESSION_MAX"],
    )
