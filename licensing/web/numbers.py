"""The register's numbers as the statistics page shows them: each table once, in the reader's
language, read by the page (beside its chart) and by its CSV download alike."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import g
from markupsafe import Markup

from licensing.domain.statistics import DECISIONS, Numbers
from licensing.web import charts
from licensing.web.i18n import current_locale as get_locale
from licensing.web.i18n import format_date
from licensing.web.i18n import gettext as _
from licensing.web.labels import ACTION_WORDS, REGION_NAMES, STANDING_WORDS, SUBTYPE_WORDS, word


@dataclass(frozen=True)
class Table:
    """One table of numbers: its caption, column headings and rows (the first cell names the
    row), with the charts drawn from it."""

    name: str
    caption: str
    headings: list[str]
    rows: list[list[str]]
    charts: list[Markup]
    # the same rows for a spreadsheet: the code of each row, then plain numbers (no grouping)
    data: list[list[str]]


def _symbols() -> tuple[str, str]:
    """The reader's group and decimal separators (Babel's per-number formatting, run for every
    cell of a page, would cost more than the page's whole reading of the register)."""
    return _separators(str(get_locale() or "en"))


@functools.cache
def _separators(locale: str) -> tuple[str, str]:
    return get_group_symbol(locale), get_decimal_symbol(locale)


def _count(value: int) -> str:
    group, _decimal = g.number_separators
    return f"{value:,}".replace(",", group)


def _mw(value: Decimal) -> str:
    group, decimal = g.number_separators
    return f"{value:,.3f}".replace(",", "\0").replace(".", decimal).replace("\0", group)


def tables(numbers: Numbers) -> list[Table]:
    """Every table, in the reader's language."""
    g.number_separators = _symbols()
    return [make(numbers) for make in TABLES.values()]


def table(name: str, numbers: Numbers) -> Table:
    g.number_separators = _symbols()
    return TABLES[name](numbers)


def _month(code: str) -> str:
    year, month = code.split("-")
    return format_date(date(int(year), int(month), 1), "LLL yyyy")


def by_standing(numbers: Numbers) -> Table:
    rows = [(word(STANDING_WORDS, k), v) for k, v in numbers.by_standing.items()]
    caption = _("Licences by standing")
    return Table(
        "standing",
        caption,
        [_("Standing"), _("Licences")],
        [[name, _count(v)] for name, v in rows],
        [
            charts.bars(
                "chart-standing", caption, [(n, v, _count(v)) for n, v in rows], _described()
            )
        ],
        [[k, str(v)] for k, v in numbers.by_standing.items()],
    )


def by_region(numbers: Numbers) -> Table:
    rows = [
        (word(REGION_NAMES, k), v, numbers.capacity_by_region[k])
        for k, v in numbers.by_region.items()
    ]
    caption, capacity = _("Licences by region"), _("Licensed capacity by region, MW")
    return Table(
        "region",
        caption,
        [_("Region"), _("Licences"), _("Capacity, MW")],
        [[name, _count(v), _mw(mw)] for name, v, mw in rows],
        [
            charts.bars(
                "chart-region", caption, [(n, v, _count(v)) for n, v, _m in rows], _described()
            ),
            charts.bars(
                "chart-region-mw", capacity, [(n, mw, _mw(mw)) for n, _v, mw in rows], _described()
            ),
        ],
        [[k, str(v), str(numbers.capacity_by_region[k])] for k, v in numbers.by_region.items()],
    )


def by_subtype(numbers: Numbers) -> Table:
    rows = [
        (word(SUBTYPE_WORDS, k), v, numbers.capacity_by_subtype[k])
        for k, v in numbers.by_subtype.items()
    ]
    caption, capacity = _("Licences by subtype"), _("Licensed capacity by subtype, MW")
    short = [_("Subtype %(code)s", code=k) for k in numbers.by_subtype]  # the table says more
    return Table(
        "subtype",
        caption,
        [_("Subtype"), _("Licences"), _("Capacity, MW")],
        [[name, _count(v), _mw(mw)] for name, v, mw in rows],
        [
            charts.bars(
                "chart-subtype",
                caption,
                [(s, v, _count(v)) for s, (_n, v, _m) in zip(short, rows, strict=True)],
                _described(),
            ),
            charts.bars(
                "chart-subtype-mw",
                capacity,
                [(s, mw, _mw(mw)) for s, (_n, _v, mw) in zip(short, rows, strict=True)],
                _described(),
            ),
        ],
        [[k, str(v), str(numbers.capacity_by_subtype[k])] for k, v in numbers.by_subtype.items()],
    )


def by_month(numbers: Numbers) -> Table:
    caption = _("Decisions per month")
    months = [_month(code) for code in numbers.months]
    series = [
        (action, word(ACTION_WORDS, action), [numbers.decisions[m][action] for m in numbers.months])
        for action in DECISIONS
    ]
    return Table(
        "decisions",
        caption,
        [_("Month"), *(name for _k, name, _c in series)],
        [
            [label, *(_count(numbers.decisions[code][a]) for a in DECISIONS)]
            for code, label in zip(numbers.months, months, strict=True)
        ],
        [
            charts.columns(
                "chart-decisions",
                caption,
                months,
                series,
                _(
                    "Issues, suspensions, resumptions and revocations recorded each month; the "
                    "table beside the chart gives every number."
                ),
            )
        ],
        [[code, *(str(numbers.decisions[code][a]) for a in DECISIONS)] for code in numbers.months],
    )


def _described() -> str:
    return _("A bar for each row of the table beside the chart, with its number written after it.")


TABLES: dict[str, Callable[[Numbers], Table]] = {
    "standing": by_standing,
    "region": by_region,
    "subtype": by_subtype,
    "decisions": by_month,
}


CSV_HEADINGS = {
    "standing": ["standing", "licences"],
    "region": ["region", "licences", "capacity_mw"],
    "subtype": ["subtype", "licences", "capacity_mw"],
    "decisions": ["month", *DECISIONS],
}


def table_csv(table: Table) -> str:
    """The table as CSV: a row of codes heads the columns (the first is the row's code: a
    standing, region, subtype or YYYY-MM month), then the plain numbers, the same whatever the
    reader's language."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADINGS[table.name])
    writer.writerows(table.data)
    return out.getvalue()
