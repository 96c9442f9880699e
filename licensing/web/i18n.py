"""The reader's language: Kazakh, Russian or English, from the reader's own choice (a cookie) or
else Accept-Language; catalogues kept as .po in the repository and compiled when the app starts."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, g, request
from flask_babel import Babel, get_translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

LOCALES = ("kk", "ru", "en")
DEFAULT_LOCALE = "kk"  # the state language, when the browser states no language we have
TRANSLATED = ("kk", "ru")  # English is the source language: its messages are the msgids
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
MAX_ACCEPT_LANGUAGE = 256  # a longer header is read only this far: no real browser sends more
NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
CATALOGUES = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"

babel = Babel()


def init_app(app: Flask) -> None:
    compiled = os.path.join(app.instance_path, "translations")
    compile_catalogues(CATALOGUES, Path(compiled))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = compiled
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["LICENSING_POLICY"].timezone.key
    babel.init_app(app, locale_selector=reader_locale)
    # the pages' own gettext: Flask-Babel's looks the request's catalogue up anew for every
    # message (a page has hundreds), this one once per language
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text: translations().ugettext(text),
        lambda one, many, n: translations().ungettext(one, many, n),
        newstyle=True,
    )


def translations() -> NullTranslations:
    """The catalogue of the language this request reads in: the one Flask-Babel chose for it
    (its choice, a forced locale included, is kept on `g`), asked of Flask-Babel once and kept
    beside that choice while it stands."""
    held = g.get("_flask_babel")
    locale = getattr(held, "babel_locale", None)
    if locale is None:  # not chosen yet in this request: Flask-Babel chooses, and keeps it
        return get_translations()
    kept = getattr(held, "licensing_catalogue", None)
    if kept is not None and kept[0] is locale:
        return kept[1]  # type: ignore[no-any-return]
    found = get_translations()
    held.licensing_catalogue = (locale, found)
    return found


def reader_locale() -> str:
    """The reader's language: a valid cookie wins, then the best of Accept-Language."""
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LOCALES:
        return chosen
    header = request.headers.get("Accept-Language", "")[:MAX_ACCEPT_LANGUAGE]
    try:
        best = parse_accept_header(header, LanguageAccept).best_match(LOCALES)
    except ValueError:
        best = None
    return best or DEFAULT_LOCALE


def compile_catalogues(source: Path, target: Path) -> None:
    """Write each locale's .mo under `target` when its .po is newer. Workers starting together may
    each compile; every write replaces the file whole, so none reads half a catalogue."""
    for locale in TRANSLATED:
        po = source / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as file:
            catalogue = read_po(file, locale=locale, domain=DOMAIN)
        handle, scratch = tempfile.mkstemp(dir=mo.parent, prefix=".mo-")
        with os.fdopen(handle, "wb") as file:
            write_mo(file, catalogue)
        os.replace(scratch, mo)
