"""The public register as CSV: the same fields as the public view, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime

from licensing.domain.timestamps import format_utc
from licensing.services.results import PublicLicenceView

COLUMNS = (
    "number",
    "holder_name",
    "region",
    "subtype",
    "status",
    "standing",
    "in_force",
    "status_since",
    "expires_on",
    "suspended_until",
)

# A cell starting with one of these is a formula to a spreadsheet: a holder's name must never run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value: object) -> str:
    """`value` as CSV text that a spreadsheet shows and never evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_utc(value)
    text = value.isoformat() if isinstance(value, date) else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def register_csv(views: Iterable[PublicLicenceView]) -> str:
    """The rows as CSV (RFC 4180: quoted where needed, CRLF line ends), with a header row and a
    byte-order mark so spreadsheets read Cyrillic and Kazakh letters as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for view in views:
        writer.writerow([cell(getattr(view, name)) for name in COLUMNS])
    return out.getvalue()
