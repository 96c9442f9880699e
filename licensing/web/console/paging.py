"""The console's lists cut into pages: which page the reader asked for, refused when it is no page,
and the links and counts shown around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, request, url_for

from licensing.services.results import Page, Slice

LARGEST = 10**6  # no console list has a million pages; a larger number is no page of ours


@dataclass(frozen=True)
class Pager:
    """What a list shows of itself: which of its rows are on this page, of how many, and the
    links to the pages before and after."""

    first: int
    last: int
    total: int
    prev_url: str | None
    next_url: str | None


def page_asked(name: str = "page") -> int:
    """The page number in the query's `name`; 1 when there is none. A value that is not a whole
    number from 1 is answered with the 400 page: a link of ours never makes one."""
    raw = request.args.get(name, "")
    if raw == "":
        return 1
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < LARGEST:
        abort(400)
    return int(raw)


def cursor_asked(name: str = "before") -> int | None:
    """A keyset cursor (the key of the row a page starts below), or None for the newest rows."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 2**63:
        abort(400)
    return int(raw)


def numbered(found: Page[Any], endpoint: str, name: str = "page", **values: Any) -> Pager:
    """The pager of a numbered page; a page past the last one is a page not found."""
    if found.page > 1 and not found.items:
        abort(404)
    args = _kept(name) | values
    first = (found.page - 1) * found.page_size + 1
    before = found.page > 1
    after = found.page * found.page_size < found.total
    return Pager(
        first=first if found.items else 0,
        last=first + len(found.items) - 1 if found.items else 0,
        total=found.total,
        prev_url=url_for(endpoint, **args, **{name: found.page - 1}) if before else None,
        next_url=url_for(endpoint, **args, **{name: found.page + 1}) if after else None,
    )


def keyed(found: Slice[Any], endpoint: str, name: str = "before", **values: Any) -> Pager:
    """The pager of a newest-first page found by a cursor; a cursor below every row (a page
    past the oldest) is a page not found."""
    if found.newer and not found.items:
        abort(404)
    args = _kept(name) | values
    newer_args = args if found.newer_before is None else args | {name: found.newer_before}
    return Pager(
        first=found.newer + 1 if found.items else 0,
        last=found.newer + len(found.items),
        total=found.total,
        prev_url=url_for(endpoint, **newer_args) if found.newer else None,
        next_url=url_for(endpoint, **args, **{name: found.older_before})
        if found.older_before is not None
        else None,
    )


def _kept(name: str) -> dict[str, str]:
    """The query's other arguments (filters, other lists' pages), kept on a page link; none that
    url_for would take as its own (`_external`, `_scheme`, `_anchor`: no list has such a filter)."""
    return {k: v for k, v in request.args.items() if k != name and not k.startswith("_")}
