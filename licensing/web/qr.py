"""QR codes as inline SVG, drawn on the server: printable, and nothing for the browser to run."""

from __future__ import annotations

import functools

import segno
from markupsafe import Markup, escape

KEPT = 4096  # codes kept per process: a few kilobytes each


@functools.lru_cache(maxsize=KEPT)
def qr_svg(text: str, title: str) -> Markup:
    """A QR code of `text` (error correction M, white quiet zone), titled for screen readers. A
    code depends on nothing but its text and title, so the last codes drawn are kept: drawing one
    (segno's search for the best of eight masks) took most of a licence page's time."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="qr", lineclass=None)
    # the title goes in by our own escaping, whatever segno does with its own
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1)
    head, rest = svg.split(">", 1)
    return Markup(f'{head}><title id="qr-title">{escape(title)}</title>{rest}')
