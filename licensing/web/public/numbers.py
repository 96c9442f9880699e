"""The statistics page and its CSV tables, routes of the public blueprint (the same numbers as
/api/v1/statistics, from the same service)."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template

from licensing.services import statistics
from licensing.web import numbers as tables
from licensing.web.public.routes import blp


def _numbers():  # type: ignore[no-untyped-def]
    return statistics.register_numbers(current_app.config["LICENSING_POLICY"])


@blp.get("/statistics")
def statistics_page() -> str:
    found = _numbers()
    return render_template(
        "public/statistics.html",
        numbers=found,
        tables=[make(found) for make in tables.TABLES.values()],
    )


@blp.get("/statistics/<name>.csv")
def statistics_csv(name: str) -> Response:
    if name not in tables.TABLES:
        abort(404)
    found = _numbers()
    response = current_app.response_class(
        tables.table_csv(tables.TABLES[name](found)), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="statistics-{name}-{found.as_of_seq}.csv"'
    )
    return response
