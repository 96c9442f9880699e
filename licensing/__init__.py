"""licensing: the registry of digital-mining licences."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from licensing import api, cli, config, database, web
from licensing.http import addresses, guards, headers, observability, ratelimit, sessions
from licensing.services.signing import Signer


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. `test_config` overrides settings: LICENSING_* names as they would
    come from the environment, or Flask keys."""
    app = Flask(__name__, instance_relative_config=True)
    # the instance folder holds the signing key and, by default, the database: owner-only
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    with contextlib.suppress(PermissionError):  # another user's folder is not ours to change
        os.chmod(app.instance_path, 0o700)
    app.config.from_mapping(config.load(app.instance_path, test_config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.wsgi_app = guards.plain_host(app.wsgi_app)  # type: ignore[method-assign]
    if proxies := app.config["LICENSING_TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.extensions["licensing.signer"] = Signer(app.config["LICENSING_SIGNING_KEY_FILE"])
    observability.init_app(app)
    addresses.warn_when_unset(app)
    headers.init_app(app)
    guards.init_app(app)
    database.init_app(app)
    ratelimit.init_app(app)
    api.init_app(app)
    web.init_app(app)
    sessions.init_app(app)
    cli.init_app(app)
    return app
