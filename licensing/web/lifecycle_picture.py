"""The lifecycle picture on /about, drawn from the one machine definition (lifecycle.TRANSITIONS):
a state box for each status, an arrow for each move. A test reads the arrows back and compares them
with the machine."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from licensing.domain.lifecycle import ISSUED, RESUMED, REVOKED, STATES, SUSPENDED, TRANSITIONS
from licensing.web.labels import ACTION_WORDS, STATUS_WORDS, word

WIDTH, HEIGHT = 760, 350
BOX_W, BOX_H = 190, 48
# Where the known states sit: a square whose only diagonal is suspended -> revoked, so no two
# arrows cross. A state added to the machine later is placed on a circle.
PLACES = {
    ISSUED: (140, 50),
    SUSPENDED: (560, 50),
    RESUMED: (560, 290),
    REVOKED: (140, 290),
}


def edges() -> list[tuple[str, str, str]]:
    """(from, to, action) for every move between two states (amendments do not move)."""
    return [
        (source, move["dest"], move["trigger"])
        for move in TRANSITIONS
        if move["dest"] is not None
        for source in move["source"]
    ]


def _place(state: str) -> tuple[float, float]:
    if state in PLACES:
        return PLACES[state]
    i = STATES.index(state)
    angle = 2 * math.pi * i / len(STATES)
    return WIDTH / 2 + 250 * math.cos(angle), HEIGHT / 2 + 130 * math.sin(angle)


def _border(x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
    """Where a line from a box's centre in direction (dx, dy) leaves the box."""
    scale = min(
        (BOX_W / 2 + 6) / abs(dx) if dx else math.inf,
        (BOX_H / 2 + 6) / abs(dy) if dy else math.inf,
    )
    return x + dx * scale, y + dy * scale


def lifecycle_svg() -> Markup:
    """The lifecycle as inline SVG, its words in the reader's language."""
    moves = edges()
    pairs = {(a, b) for a, b, _ in moves}
    parts = [
        f'<svg class="lifecycle" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="lifecycle-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="lifecycle-title">{escape(_title(moves))}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#1d3557"/>'
        "</marker></defs>",
    ]
    for source, dest, action in moves:
        (x1, y1), (x2, y2) = _place(source), _place(dest)
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1
        ux, uy = dx / length, dy / length
        # a move that has a move back is drawn beside it, not on top of it
        shift = 14 if (dest, source) in pairs else 0
        nx, ny = -uy * shift, ux * shift
        sx, sy = _border(x1, y1, ux, uy)
        ex, ey = _border(x2, y2, -ux, -uy)
        sx, sy, ex, ey = sx + nx, sy + ny, ex + nx, ey + ny
        mx, my = (sx + ex) / 2, (sy + ey) / 2
        if abs(uy) > abs(ux):  # an upright arrow: its words beside it, on its own side
            side = 1 if (nx if shift else 1) >= 0 else -1
            anchor, mx, my = ("start" if side > 0 else "end"), mx + nx + side * 8, my + 5
        else:
            anchor, mx, my = "middle", mx + nx, my + ny - 6
        parts.append(
            f'<g class="move" data-from="{source}" data-to="{dest}" data-action="{action}">'
            f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#1d3557" '
            f'stroke-width="2" marker-end="url(#arrow)"/>'
            f'<text x="{mx:.1f}" y="{my:.1f}" text-anchor="{anchor}" font-size="13" '
            f'fill="#1d3557" stroke="#fff" stroke-width="4" paint-order="stroke">'
            f"{escape(word(ACTION_WORDS, action))}</text></g>"
        )
    for state in STATES:
        x, y = _place(state)
        parts.append(
            f'<g class="state" data-state="{state}">'
            f'<rect x="{x - BOX_W / 2:.1f}" y="{y - BOX_H / 2:.1f}" width="{BOX_W}" '
            f'height="{BOX_H}" rx="8" fill="#f1f5fb" stroke="#1d3557" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="15" '
            f'font-weight="bold" fill="#0b1a2e">{escape(word(STATUS_WORDS, state))}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _title(moves: list[tuple[str, str, str]]) -> str:
    return "; ".join(
        f"{word(STATUS_WORDS, a)} → {word(STATUS_WORDS, b)}: {word(ACTION_WORDS, action)}"
        for a, b, action in moves
    )
