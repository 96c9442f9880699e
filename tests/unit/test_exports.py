from __future__ import annotations

import csv
import io

import pytest

from licensing.domain.exports import CSV_COLUMNS, csv_cell, csv_header, csv_row, neutralise


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        ("", '""'),
        ("plain", "plain"),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("cr\r", '"cr\r"'),
        (" spaced ", " spaced "),
        (42, "42"),
        ("Закон «О цифровых активах»", "Закон «О цифровых активах»"),
    ],
)
def test_cells_are_quoted_only_when_needed(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_neutralised(start: str) -> None:
    assert neutralise(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"


def test_only_free_text_columns_are_neutralised_and_a_spreadsheet_reads_them_back() -> None:
    values = [1, "DM-2026-000001", "suspend", "issued", "suspended", "violation_found",
              "=HYPERLINK(\"http://x\")", "+7 ст. 9", '{"until":"2026-05-10"}', "@alice",
              "regulator",
              "r1", "2026-03-10T09:30:00.000000Z", "0" * 64, "f" * 64]  # fmt: skip
    text = csv_header().decode() + csv_row(values)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1][6] == '\'=HYPERLINK("http://x")'
    assert rows[1][7] == "'+7 ст. 9"
    assert rows[1][9] == "'@alice"
    assert rows[1][8] == '{"until":"2026-05-10"}'
    assert text.endswith("\n") and "\r\n" not in text
