"""The registry on the web: server-rendered pages in Kazakh, Russian and English. This package
holds what every page shares (base template, styles, languages, error pages, form tokens); each
audience has its own blueprint beneath it (`public`)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, redirect, request
from werkzeug.exceptions import HTTPException

from licensing.http.ratelimit import public_limit
from licensing.web import csrf, formats, i18n, labels, pages
from licensing.web import documents as web_documents

blp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/assets",
)
pages.serve_pages(blp)


def init_app(app: Flask) -> None:
    """Register the pages; call after the API so its blueprints are known (and exempt from form
    tokens) and so the page-or-problem error handler replaces the API's app-wide one."""
    from licensing.web import atom, console
    from licensing.web.public import documents  # noqa: F401  (its routes join the public blueprint)
    from licensing.web.public.routes import blp as public_blp

    i18n.init_app(app)
    csrf.init_app(app)
    web_documents.init_app(app)
    app.register_blueprint(blp)
    app.register_blueprint(public_blp)
    app.register_blueprint(atom.blp)
    app.extensions["licensing.page_blueprints"] = {blp.name, public_blp.name, atom.blp.name}
    console.init_app(app)
    app.jinja_env.filters.update(
        day=formats.day, moment=formats.moment, when=formats.when, number=formats.number
    )
    app.jinja_env.globals.update(labels=labels, word=labels.word, locales=i18n.LOCALES)
    app.jinja_env.globals.update(
        reason_words=labels.reason_words, reason_article=labels.reason_article
    )
    app.jinja_env.globals.update(locale_names=i18n.NAMES, locale=pages.locale_code)
    problems_handler = app.error_handler_spec[None][None].get(HTTPException)

    def answer_error(error: HTTPException) -> Response:
        if pages.wants_page():
            return pages.from_http_exception(error)
        assert problems_handler is not None
        return problems_handler(error)  # type: ignore[no-any-return]

    app.register_error_handler(HTTPException, answer_error)


@blp.route("/language/<code>")
@public_limit
def language(code: str) -> Response:
    """Switch the pages' language and go back where the reader was; remembered in a cookie."""
    response = redirect(pages.next_path(request.args.get("next"), "/"), code=303)
    if code in i18n.LOCALES:
        response.set_cookie(
            i18n.COOKIE,
            code,
            max_age=i18n.COOKIE_AGE,
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    return response
