"""Documents and numbers on the public pages: the signed PDF extract of a licence, the statistics
page and its CSV tables (routes of the public blueprint, calling the same services as the API)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, g, render_template, request, send_from_directory
from flask_babel import gettext as _

from licensing.domain.licence import is_licence_number
from licensing.domain.statistics import Numbers
from licensing.services import open_data, statistics
from licensing.services.document_signing import DocumentSigningUnavailable
from licensing.web import numbers as tables
from licensing.web import pages
from licensing.web.documents import extract_response
from licensing.web.i18n import LOCALES
from licensing.web.public.routes import blp
from licensing.web.validators import revalidated


@blp.errorhandler(DocumentSigningUnavailable)
def _cannot_sign(error: DocumentSigningUnavailable) -> Response:
    current_app.logger.error("an extract was asked for but cannot be signed: %s", error)
    html = render_template(
        "errors/error.html",
        status=503,
        title=_("Extracts cannot be issued at the moment"),
        explanation=_(
            "The register cannot sign documents right now, so it issues none rather than an "
            "unsigned one. The licence page and its signed status statement are available; try "
            "the extract again later."
        ),
        request_id=g.get("request_id"),
    )
    response = current_app.response_class(html, status=503, mimetype="text/html")
    response.headers["Retry-After"] = "300"
    return pages.page_headers(response)


@blp.get("/licences/<number>/extract.pdf")
def extract(number: str) -> Response:
    """The licence's signed extract, in the page's language or the one `lang` names."""
    language = request.args.get("lang", pages.locale_code())
    if not current_app.config["LICENSING_EXTRACTS"] or language not in LOCALES:
        abort(404)
    if not is_licence_number(number):
        abort(404)
    return extract_response(number, language)


def _numbers() -> Numbers:
    return statistics.register_numbers(current_app.config["LICENSING_POLICY"])


@blp.get("/statistics")
@revalidated()
def statistics_page() -> str:
    found = _numbers()
    return render_template(
        "public/statistics.html",
        numbers=found,
        tables=tables.tables(found),
    )


@blp.get("/statistics/<name>.csv")
def statistics_csv(name: str) -> Response:
    if name not in tables.TABLES:
        abort(404)
    found = _numbers()
    response = current_app.response_class(
        tables.table_csv(tables.table(name, found)), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="statistics-{name}-{found.as_of_seq}.csv"'
    )
    return response


def _open_data() -> Path:
    return Path(current_app.config["LICENSING_OPEN_DATA_DIR"])


def _snapshots_listed() -> str:
    """The snapshot manifests in the folder, by name and time written: what the page lists."""
    return open_data.listing(_open_data())


@blp.get("/open-data/")
@revalidated(register=False, depends=_snapshots_listed)
def open_data_index() -> str:
    return render_template("public/open_data.html", snapshots=open_data.snapshots(_open_data()))


@blp.get("/open-data/<name>")
def open_data_file(name: str) -> Response:
    if not open_data.is_served(name):
        abort(404)  # only the files an export writes: never a path, never anything else there
    response = send_from_directory(_open_data(), name, max_age=3600)
    if name.endswith(".csv"):
        response.mimetype = "text/csv"
    return response
