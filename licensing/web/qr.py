"""QR codes drawn on the server as SVG: printable, and nothing for the browser to run."""

from __future__ import annotations

import functools
import io

import segno
from markupsafe import Markup, escape

KEPT = 4096  # codes kept per process: a few kilobytes each


@functools.lru_cache(maxsize=KEPT)
def qr_svg(text: str, title: str) -> Markup:
    """A QR code of `text` (error correction M, white quiet zone) to put inline in a document,
    titled for screen readers. A code depends on nothing but its text and title, so the last
    codes drawn are kept: drawing one (segno's search for the best of eight masks) takes longer
    than the rest of a page."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="qr", lineclass=None)
    # the title goes in by our own escaping, whatever segno does with its own
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1)
    head, rest = svg.split(">", 1)
    return Markup(f'{head}><title id="qr-title">{escape(title)}</title>{rest}')


@functools.lru_cache(maxsize=KEPT)
def qr_image(text: str) -> bytes:
    """A QR code of `text` as an SVG file of its own, for an `<img>` (which carries the text
    alternative), kept like `qr_svg`. It has a `viewBox` and no size, so it fills whatever box
    the page gives it, with square module edges at any scale."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=1, dark="#000", light="#fff", xmldecl=False, omitsize=True,
        svgclass=None, lineclass=None,
    )  # fmt: skip
    return out.getvalue().replace(b"<svg ", b'<svg shape-rendering="crispEdges" ', 1)
