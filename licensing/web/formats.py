"""How the pages show days, moments and numbers: in the reader's language, a moment in the
registry's time zone (the filters `day`, `moment`, `when` and `number` of every template)."""

from __future__ import annotations

from datetime import date, datetime

from markupsafe import Markup

from licensing.domain.timestamps import format_utc
from licensing.web.i18n import format_date, format_datetime, format_decimal


def day(value: date | str | None) -> str:
    if isinstance(value, str):  # an ISO date as an event records it
        value = date.fromisoformat(value)
    return format_date(value, "long") if value else ""


def moment(value: datetime | None) -> str:
    return format_datetime(value, "medium") if value else ""


def when(value: datetime | str | None) -> Markup:
    """A moment as a page shows it: in the reader's language and the registry's time zone, with
    the UTC instant kept for machines in `<time datetime>` (an event's `at` is given as recorded,
    ISO 8601 in UTC)."""
    if not value:
        return Markup("")
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return Markup('<time datetime="{}">{}</time>').format(format_utc(value), moment(value))


def number(value: object) -> str:
    return format_decimal(value)  # type: ignore[arg-type]
