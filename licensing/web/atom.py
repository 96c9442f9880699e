"""Atom feeds (RFC 4287) of the change feed, for people and feed readers: the register's newest
changes and one licence's, in the reader's language. Entry ids are the change's seq under the
licence page's address, so they never change once written."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template

from licensing import clock
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.timestamps import format_utc, parse_utc
from licensing.http.addresses import absolute_url, absolute_urls
from licensing.http.ratelimit import public_limit
from licensing.services import changes, public
from licensing.web import pages
from licensing.web.validators import revalidated

blp = Blueprint("atom", __name__)
public_limit(blp)
pages.serve_pages(blp)

ATOM = "application/atom+xml; charset=utf-8"
ENTRIES = 50  # the newest changes a feed carries; the API's feed holds them all


@blp.errorhandler(LicenceNotFound)
def _not_found(error: LicenceNotFound) -> Response:
    return pages.error_page(404)


@blp.get("/register/changes.atom")
@revalidated()
def register_changes() -> Response:
    return _feed(changes.latest(ENTRIES), absolute_url("atom.register_changes"),
                 absolute_url("public.register"), None)  # fmt: skip


@blp.get("/licences/<number>/changes.atom")
@revalidated()
def licence_changes(number: str) -> Response:
    if not is_licence_number(number):
        abort(404)
    items = changes.latest(ENTRIES, number)
    if not items:
        # a licence the register does not hold: 404
        public.lookup(current_app.config["LICENSING_POLICY"], number)
    return _feed(items, absolute_url("atom.licence_changes", number=number),
                 absolute_url("public.licence", number=number), number)  # fmt: skip


def _feed(
    items: list[dict[str, Any]], self_url: str, page_url: str, number: str | None
) -> Response:
    licence_url = absolute_urls("public.licence")
    entries = []
    for item in items:
        link = licence_url(number=item["licence"])
        entries.append(
            {
                **item,
                "id": f"{link}#change-{item['seq']}",
                "link": link,
                "on": parse_utc(item["at"]),
            }
        )
    updated = items[0]["at"] if items else format_utc(clock.now())
    body = render_template(
        "atom/changes.xml",
        feed_id=self_url,
        self_url=self_url,
        page_url=page_url,
        number=number,
        updated=updated,
        entries=entries,
    )
    return Response(body, content_type=ATOM, headers={"Cache-Control": "no-cache"})
