"""ETags of the public pages. A page's tag is a digest of everything its text depends on: the
register's last entry (where the page reads), the day (standings turn with the calendar), the
reader's language, the page's own address and query, and the release and settings that drew it. A
conditional GET whose tag still matches is answered 304 after one read of the head row, before
anything else is read or rendered; any committed change moves the head, so no kept copy outlives
it. For the same reason a page drawn once is kept by its tag and served again while the tag
holds. The public pages show nothing of a signed-in reader, so no session enters the tag."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from flask_wtf.csrf import generate_csrf

from licensing import clock
from licensing.services import public
from licensing.services.kept import Kept
from licensing.web import pages

# A copy may be kept, but asked again (cheaply, with its ETag) before each use, as for the API's
# public views.
REVALIDATE = "no-cache"
_PACKAGE = Path(__file__).resolve().parent.parent
# what a process keeps of the pages it drew, by tag, in bytes: a licence page is about 8 KB, a
# register page about 14 KB, so every licence page of a register of a few thousand licences fits
PAGES_KEPT_BYTES = 32 * 1024 * 1024
# what draws a page: its code, templates and catalogues
_DRAWN_BY = ("*.py", "*.html", "*.xml", "*.po")


def revalidated(
    *, register: bool = True, depends: Callable[[], str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a page route an ETag and answer a matching `If-None-Match` with 304. `register`: the
    page shows register state, so its tag holds the chain head; `depends`: anything else it shows
    (a folder's listing, say), as text."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def page(*args: Any, **kwargs: Any) -> Any:
            tag = page_tag(register, depends() if depends else "")
            if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(tag):
                response = current_app.response_class(status=304)
            elif (drawn := _drawn(tag)) is not None:
                response = current_app.response_class(drawn[0], content_type=drawn[1])
            else:
                response = current_app.make_response(view(*args, **kwargs))
                if response.status_code != 200:
                    return response
                _keep(tag, response)
            response.set_etag(tag)
            response.headers["Cache-Control"] = REVALIDATE
            return response

        return page

    return decorate


# Where a kept form page's form token goes: the reader's own token is put in its place per request.
_TOKEN_MARK = "\x1eform-token\x1e"


def with_form_token(draw: Callable[..., str]) -> str:
    """A page that carries the reader's form token, drawn once per tag (as `revalidated` tags a
    page that shows nothing of the register) with a mark where the token goes and kept so; each
    request gets the kept drawing with its reader's own token in place of the mark. Such a page is
    the reader's own, so it has no ETag and is never kept whole. `draw(csrf_token=...)` renders
    the page with the given `csrf_token` function."""
    tag = "form:" + page_tag(register=False)
    kept = _pages_drawn().get(tag)
    if kept is None:
        kept = (draw(csrf_token=lambda: _TOKEN_MARK).encode(), "")
        _pages_drawn().put(tag, kept)
    return kept[0].decode().replace(_TOKEN_MARK, generate_csrf())


def _pages_drawn() -> Kept[str, tuple[bytes, str]]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kept = app.extensions.get("licensing.pages_drawn")
    if kept is None:
        kept = app.extensions.setdefault(
            "licensing.pages_drawn", Kept(PAGES_KEPT_BYTES, weigh=_size_of)
        )
    return kept  # type: ignore[no-any-return]


def _size_of(drawn: tuple[bytes, str]) -> int:
    return len(drawn[0]) + len(drawn[1])


def _drawn(tag: str) -> tuple[bytes, str] | None:
    """The page last drawn under `tag`, if this process still keeps it. A tag holds the chain
    head read for this request, so a page kept under it is never older than the last change
    committed where the page reads: any change gives every page a new tag, and the old ones are
    never asked for again."""
    return _pages_drawn().get(tag)


def _keep(tag: str, response: Response) -> None:
    if "Set-Cookie" in response.headers:
        return  # a page that begins a session is the reader's own
    drawn = (response.get_data(), response.content_type or "text/html; charset=utf-8")
    _pages_drawn().put(tag, drawn)


def page_tag(register: bool, depends: str = "") -> str:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    parts = [
        _release(app),
        pages.locale_code(),
        request.script_root,  # the links' prefix, behind a proxy that mounts the app below /
        request.full_path,
        app.config["LICENSING_POLICY"].today(clock.now()).isoformat(),
        depends,
    ]
    if register:
        # The head is read where the page reads its facts (the replica, when one is named), so a
        # tag never names a state newer than the page it comes with.
        head = public.register_head()
        parts += [str(head.seq), head.hash]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _release(app: Flask) -> str:
    """A digest of the code, templates and catalogues that draw the pages and of the settings they
    show, worked out once per process: a new release or setting gives new tags."""
    kept = app.extensions.get("licensing.page_release")
    if kept is None:
        digest = hashlib.sha256()
        for pattern in _DRAWN_BY:
            for path in sorted(_PACKAGE.rglob(pattern)):
                digest.update(str(path.relative_to(_PACKAGE)).encode())
                digest.update(path.read_bytes())
        for key in sorted(app.config):
            value = app.config[key]
            if key.startswith("LICENSING_") and isinstance(value, str | int | bool | tuple | list):
                digest.update(f"{key}={value!r}".encode())
        policy = app.config["LICENSING_POLICY"]  # the reason codes /about lists, among others
        digest.update(repr(sorted(_plain(policy).items())).encode())
        kept = app.extensions["licensing.page_release"] = digest.hexdigest()
    return str(kept)


def _plain(policy: Any) -> dict[str, str]:
    """The policy's settings as text in one order whatever the process's hash seed (a set's order
    is not)."""
    return {
        name: repr(sorted(value) if isinstance(value, frozenset) else value)
        for name, value in vars(policy).items()
    }
