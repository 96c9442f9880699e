"""Standing: one word from status, dates and today."""

from __future__ import annotations

from datetime import date

import pytest

from licensing.domain.standing import standing

ISSUED_ON, EXPIRES_ON = date(2026, 3, 10), date(2029, 3, 10)


@pytest.mark.parametrize(
    ("status", "until", "today", "word"),
    [
        ("issued", None, date(2026, 3, 10), "in_force"),
        ("resumed", None, date(2029, 3, 10), "in_force"),
        ("issued", None, date(2029, 3, 11), "expired"),
        ("issued", None, date(2026, 3, 9), "not_yet_in_force"),
        ("suspended", date(2026, 5, 10), date(2026, 5, 10), "suspended"),
        ("suspended", date(2026, 5, 10), date(2026, 5, 11), "suspension_overdue"),
        ("suspended", date(2026, 5, 10), date(2029, 3, 11), "expired"),
        ("revoked", None, date(2029, 3, 11), "revoked"),
        ("revoked", None, date(2026, 3, 9), "revoked"),
    ],
)
def test_standing_follows_status_dates_and_today(
    status: str, until: date | None, today: date, word: str
) -> None:
    assert standing(status, ISSUED_ON, EXPIRES_ON, until, today) == word
