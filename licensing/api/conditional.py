"""ETags and preconditions. A licence's ETag is its version: `"7"`; public views and statements
have a digest of what they show."""

from __future__ import annotations

import re

from flask import Response, abort, request

# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma-separated list.
_LIST_ELEMENT = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|\Z)')
# The only opaque-tags we hand out: a version in its one decimal spelling, within a bigint.
_VERSION = re.compile(r"[1-9][0-9]{0,18}")
_MAX_VERSION = 2**63 - 1


def etag(version: int | str) -> str:
    return f'"{version}"'


def expected_versions(*, required: bool) -> frozenset[int] | None:
    """The versions `If-Match` accepts; None when any will do (no header, or `*`).

    Comparison is strong and byte-exact: `"0003"` is not version 3, a weak tag matches nothing,
    and a header that is not a list of entity-tags matches nothing. The comparison itself happens
    in the use case, under the row lock, so that no other writer can slip in between the check
    and the change."""
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            abort(428)
        return None
    if header.strip(" \t") == "*":
        return None
    return frozenset(
        int(tag)
        for tag in _strong_tags(header)
        if _VERSION.fullmatch(tag) and int(tag) <= _MAX_VERSION
    )


def _strong_tags(header: str) -> list[str]:
    """The strong opaque-tags of an If-Match list; none at all if any part of it is malformed."""
    tags: list[str] = []
    position = 0
    while position < len(header):
        element = _LIST_ELEMENT.match(header, position)
        if element is None or element.end() == position:
            return []
        if element.group(1) is None:
            tags.append(element.group(2))
        position = element.end()
    return tags


def not_modified(tag: int | str, **headers: str) -> Response | None:
    """An empty 304, with `headers`, when the client's copy (`If-None-Match`) is current; `tag` is
    the representation's opaque-tag (a licence's version, or a digest)."""
    if "HTTP_IF_NONE_MATCH" not in request.environ:
        return None  # most requests: no header to parse
    if request.if_none_match.contains_weak(str(tag)):
        response = Response(status=304, headers=headers)
        response.set_etag(str(tag))
        return response
    return None
