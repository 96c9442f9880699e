"""Charts of the register's numbers, drawn on the server as SVG that needs no script and no inline
style: bars are shapes with classes (the site's stylesheet colours them) and every number is
also written as text. Each chart is an image titled and described for screen readers; the page
puts the same numbers in a table beside it.

Written by hand rather than with a chart library: pygal, the maintained one for server-side SVG,
puts a <style> element, style attributes and a script reference into its SVG, which the pages'
Content-Security-Policy (no inline style, no script) refuses when the chart is part of the page;
as an <img> it would keep its styles but lose its text for assistive technology."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH = 720
ROW = 26  # height of one bar's row
LABEL_W = 250  # room for the names of the bars
VALUE_W = 90  # room for the number after the longest bar


def bars(
    chart_id: str, title: str, rows: Sequence[tuple[str, Decimal | int, str]], description: str
) -> Markup:
    """Horizontal bars: (name, value, value as the reader writes it) each."""
    top = max((value for _, value, _ in rows), default=0) or 1
    room = WIDTH - LABEL_W - VALUE_W
    height = ROW * len(rows) + 8
    parts = [_head(chart_id, title, description, height)]
    for i, (name, value, shown) in enumerate(rows):
        y = 4 + i * ROW
        length = float(Decimal(value) / Decimal(top)) * room
        parts.append(
            f'<text class="chart-label" x="{LABEL_W - 8}" y="{y + 17}" '
            f'text-anchor="end">{escape(name)}</text>'
            f'<rect class="chart-bar" x="{LABEL_W}" y="{y + 4}" width="{length:.1f}" '
            f'height="{ROW - 8}"/>'
            f'<text class="chart-value" x="{LABEL_W + length + 6:.1f}" y="{y + 17}">'
            f"{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    chart_id: str,
    title: str,
    months: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    description: str,
) -> Markup:
    """Stacked columns, one per month: (class, name, count per month) for each series, with a
    legend; every third month is named below its column."""
    plot_h, base, left = 180, 210, 40
    height = base + 30 + 22 * ((len(series) + 1) // 2)
    width = (WIDTH - left - 10) / max(1, len(months))
    totals = [sum(counts[i] for _, _, counts in series) for i in range(len(months))]
    top = max(totals, default=0) or 1
    parts = [_head(chart_id, title, description, height)]
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{base}" x2="{WIDTH - 10}" y2="{base}"/>'
        f'<text class="chart-value" x="{left - 6}" y="{base - plot_h + 4}" '
        f'text-anchor="end">{top}</text>'
        f'<text class="chart-value" x="{left - 6}" y="{base + 4}" text-anchor="end">0</text>'
    )
    for i, month in enumerate(months):
        x = left + i * width
        y = float(base)
        for kind, _, counts in series:
            if counts[i]:
                h = counts[i] / top * plot_h
                y -= h
                parts.append(
                    f'<rect class="chart-{escape(kind)}" x="{x + 2:.1f}" y="{y:.1f}" '
                    f'width="{width - 4:.1f}" height="{h:.1f}"/>'
                )
        if (len(months) - 1 - i) % 3 == 0:
            parts.append(
                f'<text class="chart-label" x="{x + width / 2:.1f}" y="{base + 16}" '
                f'text-anchor="middle">{escape(month)}</text>'
            )
    for n, (kind, name, _) in enumerate(series):
        x, y = left + (n % 2) * 330, base + 34 + (n // 2) * 22
        parts.append(
            f'<rect class="chart-{escape(kind)}" x="{x}" y="{y - 11}" width="14" height="14"/>'
            f'<text class="chart-label" x="{x + 20}" y="{y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _head(chart_id: str, title: str, description: str, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
