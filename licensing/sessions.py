"""Console sessions: a signed cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) with an idle
timeout and an absolute lifetime, and CSRF tokens on every form. Nothing is kept in a process, so
any worker can serve any request."""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

log = logging.getLogger(__name__)
csrf = CSRFProtect()


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or request.is_secure)


def init_app(app: Flask) -> None:
    if app.config["LICENSING_SECRET_KEY_IS_FILE"]:
        app.secret_key = secret_key_in(Path(app.config["LICENSING_SECRET_KEY"]))
    else:
        app.secret_key = app.config["LICENSING_SECRET_KEY"]
    app.session_interface = SessionCookie()
    app.config.update(
        SESSION_COOKIE_NAME="licensing_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_REFRESH_EACH_REQUEST=True,
        # the cookie outlives no session: the idle and absolute limits are checked on every request
        PERMANENT_SESSION_LIFETIME=app.config["LICENSING_SESSION_MAX"],
        WTF_CSRF_TIME_LIMIT=int(app.config["LICENSING_SESSION_MAX"] / timedelta(seconds=1)),
        WTF_CSRF_SSL_STRICT=True,
    )
    csrf.init_app(app)


def exempt(blueprint: object) -> None:
    """Routes that authenticate with a bearer token, which a browser never sends by itself."""
    csrf.exempt(blueprint)  # type: ignore[arg-type]


def secret_key_in(path: Path) -> str:
    """The key kept in `path`, made (owner-only) when there is none. Workers starting together
    each try to link their own new file into place; the first wins and all read the same key."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-key-")
    try:
        with os.fdopen(descriptor, "w") as handle:  # mkstemp creates it 0600
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # atomic, and never over an existing key
            log.info("new secret key written to %s", path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if path.stat().st_mode & 0o077:
        log.warning("secret key %s is readable by others: chmod 600 it", path)
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable secret key (32 characters or more)")
    return key
