"""The export formats of the audit trail, byte for byte.

NDJSON: one event a line, each line the event's canonical JSON (keys sorted, no spaces, UTF-8,
`hash` included), `\\n` after every line, oldest first. Each line is exactly what was hashed, plus
its hash, so any export can be checked with the rules of chain.py alone.

CSV: a header, then one event a row, columns in CSV_COLUMNS order, `\\n` after every row. A cell is
quoted (with `"` doubled inside) when it is empty text or holds `,`, `"`, `\\r` or `\\n`; a null
is an unquoted empty cell; `data` is its canonical JSON. A free-text cell that a spreadsheet would
run as a formula (it starts with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`; no
other column can start that way. CSV is for reading; NDJSON is for verifying. This is
PostgreSQL's own COPY CSV format, so PostgreSQL writes it and SQLite's path writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from licensing.domain.chain import EVENT_FIELDS

CSV_COLUMNS = tuple(field.name for field in EVENT_FIELDS)
NEUTRALISED = ("reason", "legal_basis", "actor")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    description: str

    @property
    def mime(self) -> str:
        """The media type without its parameters, as clients name it in `Accept`."""
        return self.media_type.split(";")[0]


# The one list of export formats: the API's `format` and `Accept`, its documentation, the CLI's
# `--format` and the writers all read it; a format not here is refused, never taken for another.
EXPORT_FORMATS = {
    f.name: f
    for f in (
        ExportFormat("ndjson", "application/x-ndjson", "One event's canonical JSON a line"),
        ExportFormat("csv", "text/csv; charset=utf-8", "A header, then one event a row"),
    )
}

_NEEDS_QUOTES = (",", '"', "\n", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text == "" or any(c in text for c in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_header() -> bytes:
    return (",".join(CSV_COLUMNS) + "\n").encode()


def csv_row(values: Sequence[Any]) -> str:
    """One row from values in CSV_COLUMNS order (`data` already as canonical JSON text)."""
    cells = (
        neutralise(v) if name in NEUTRALISED and v is not None else v
        for name, v in zip(CSV_COLUMNS, values, strict=True)
    )
    return ",".join(csv_cell(v) for v in cells) + "\n"
