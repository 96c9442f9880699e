"""ETags and preconditions on licences. A licence's ETag is its version: `"7"`."""

from __future__ import annotations

from flask import Response, abort, request


def etag(version: int) -> str:
    return f'"{version}"'


def expected_versions(*, required: bool) -> frozenset[int] | None:
    """The versions `If-Match` accepts; None when any will do (no header, or `*`).

    The comparison itself happens in the use case, under the row lock, so that no other writer can
    slip in between the check and the change."""
    if_match = request.if_match
    if not if_match:
        if required:
            abort(428)
        return None
    if if_match.star_tag:
        return None
    return frozenset(int(tag) for tag in if_match.as_set() if tag.isascii() and tag.isdigit())


def not_modified(version: int) -> Response | None:
    """An empty 304 when the client's copy (`If-None-Match`) is current."""
    if request.if_none_match.contains_weak(str(version)):
        response = Response(status=304)
        response.set_etag(str(version))
        return response
    return None
