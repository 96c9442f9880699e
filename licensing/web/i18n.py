"""The reader's language: Kazakh, Russian or English, from the reader's own choice (a cookie) or
else Accept-Language; catalogues kept as .po in the repository and compiled when the app starts."""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, request
from flask.globals import _cv_app
from flask_babel import Babel, get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString
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
    # the templates' _(), gettext() and ngettext(), newstyle as Flask-Babel installs them, through
    # the one look-up below
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda one, many, n: translations().ungettext(one, many, n),
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, one, many, n: translations().unpgettext(context, one, many, n),
        newstyle=True,
    )


# Flask-Babel finds its context, domain and locale anew for every message (three look-ups of
# Flask's globals each, some 350 times for a page of the register). The locale it settled on is
# kept in its context and changes only by force_locale; the catalogue of that locale is kept here,
# found again only when the locale object is another.
_last: tuple[Locale, NullTranslations] | None = None


def _babel_context() -> Any:
    # Flask's own context variable rather than the `g` proxy: two proxy look-ups less per message
    app_context = _cv_app.get(None)
    return None if app_context is None else app_context.g.__dict__.get("_flask_babel")


def current_locale() -> Locale | None:
    """The locale of this request (or of the force_locale block around the caller)."""
    locale = getattr(_babel_context(), "babel_locale", None)
    return locale if locale is not None else get_locale()


def current_timezone() -> tzinfo | None:
    zone = getattr(_babel_context(), "babel_tzinfo", None)
    return zone if zone is not None else get_timezone()


def translations() -> NullTranslations:
    """Flask-Babel's catalogue for the current locale, by one look-up."""
    global _last
    locale = getattr(_babel_context(), "babel_locale", None)
    kept = _last
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    found = get_translations()
    locale = current_locale()
    if locale is not None:
        _last = (locale, found)
    return found


def gettext(text: str, **variables: Any) -> str:
    """flask_babel.gettext, through the one look-up."""
    translated = translations().ugettext(text)
    return translated % variables if variables else translated


def lazy_gettext(text: str, **variables: Any) -> LazyString:
    """flask_babel.lazy_gettext, translated when shown through the one look-up."""
    return LazyString(gettext, text, **variables)


def format_date(value: date | datetime, format: str = "medium") -> str:
    """flask_babel.format_date without its look-ups: a moment is shown in the reader's zone."""
    if isinstance(value, datetime):
        value = value.astimezone(current_timezone()).date()
    return _date_text(value, format, current_locale())


@lru_cache(maxsize=8192)
def _date_text(value: date, format: str, locale: Locale | None) -> str:
    # a day's words depend on the day, the format and the language alone; a page of a list shows
    # the same few dozen days again and again, and Babel's pattern walk was a tenth of its drawing
    return dates.format_date(value, format, locale=locale)


def format_datetime(value: datetime, format: str = "medium") -> str:
    return dates.format_datetime(value, format, tzinfo=current_timezone(), locale=current_locale())


def format_decimal(value: Any) -> str:
    return numbers.format_decimal(value, locale=current_locale())


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
