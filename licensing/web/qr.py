"""QR codes as inline SVG, drawn on the server: printable, and nothing for the browser to run."""

from __future__ import annotations

import segno
from markupsafe import Markup, escape


def qr_svg(text: str, title: str) -> Markup:
    """A QR code of `text` (error correction M, white quiet zone), titled for screen readers."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="qr", lineclass=None)
    # the title goes in by our own escaping, whatever segno does with its own
    svg = svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1)
    head, rest = svg.split(">", 1)
    return Markup(f'{head}><title id="qr-title">{escape(title)}</title>{rest}')
