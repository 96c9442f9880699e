"""Form tokens (Flask-WTF) for every HTML form, app-wide; the REST API authenticates with bearer
tokens and reads no cookies, so its blueprints are exempt."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Blueprint as RestBlueprint
from flask_wtf.csrf import CSRFProtect

from licensing.web.secret import secret_key

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Protect every form; call after the API's blueprints are registered."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.config["LICENSING_SECRET_KEY_FILE"])
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # a page left open all day still submits
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
    csrf.init_app(app)
    for blueprint in app.blueprints.values():
        if isinstance(blueprint, RestBlueprint):
            csrf.exempt(blueprint)
