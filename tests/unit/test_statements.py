"""When a statement holds: iat after the last change, exp cut at the next calendar turn of the
standing, and the same bytes for everyone within one window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from licensing.domain.chain import canonical_json
from licensing.domain.statement_rules import LicenceFacts, StatementRules, claims, payload

ASTANA = ZoneInfo("Asia/Almaty")
RULES = StatementRules(issuer="urn:licensing:registry", validity=timedelta(hours=24))
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def facts(**changes: object) -> LicenceFacts:
    base = {
        "number": "DM-2026-000001", "status": "issued", "standing": "in_force", "in_force": True,
        "status_since": datetime(2026, 1, 5, 8, 0, tzinfo=UTC), "issued_on": date(2026, 1, 5),
        "expires_on": date(2029, 1, 5), "suspended_until": None, "seq": 3, "hash": "a" * 64,
        "last_change": datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    }  # fmt: skip
    return LicenceFacts(**(base | changes))  # type: ignore[arg-type]


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_statements_within_one_window_are_the_same_and_hold_a_day() -> None:
    first = claims(facts(), RULES, NOW, ASTANA)
    later = claims(facts(), RULES, NOW + timedelta(minutes=29), ASTANA)
    assert first == later
    assert moment(first["iat"]) == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert moment(first["exp"]) == datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    assert claims(facts(), RULES, NOW + timedelta(minutes=31), ASTANA) != first


def test_a_statement_is_never_dated_before_the_licences_last_change() -> None:
    changed = NOW - timedelta(minutes=10)
    found = claims(facts(last_change=changed), RULES, NOW, ASTANA)
    assert found["iat"] == int(changed.timestamp())


@pytest.mark.parametrize(
    ("changes", "cut"),
    [
        ({"expires_on": date(2026, 3, 10)}, datetime(2026, 3, 10, 19, 0, tzinfo=UTC)),
        (
            {"status": "suspended", "standing": "suspended", "suspended_until": date(2026, 3, 10)},
            datetime(2026, 3, 10, 19, 0, tzinfo=UTC),
        ),
        (
            {"issued_on": date(2026, 3, 11), "standing": "not_yet_in_force", "in_force": False},
            datetime(2026, 3, 10, 19, 0, tzinfo=UTC),
        ),
    ],
)
def test_a_statement_ends_when_the_calendar_turns_its_standing(
    changes: dict[str, object], cut: datetime
) -> None:
    assert moment(claims(facts(**changes), RULES, NOW, ASTANA)["exp"]) == cut


def test_an_expired_or_revoked_licence_gets_the_full_validity() -> None:
    expired = facts(expires_on=date(2026, 3, 1), standing="expired", in_force=False)
    revoked = facts(
        status="revoked", standing="revoked", in_force=False, expires_on=date(2026, 3, 10)
    )
    for licence in (expired, revoked):
        found = claims(licence, RULES, NOW, ASTANA)
        assert found["exp"] - found["iat"] == 24 * 3600


def test_a_statement_made_just_after_midnight_is_not_dated_before_it() -> None:
    """The standing turned at midnight in Astana (19:00 UTC): the statement starts there."""
    turned = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
    expired = facts(expires_on=date(2026, 3, 10), standing="expired", in_force=False)
    found = claims(expired, RULES, turned + timedelta(minutes=20), ASTANA)
    assert moment(found["iat"]) == turned


@pytest.mark.parametrize(
    "issuer",
    ["urn:licensing:registry", "Реестр «Қазақ»", 'a "b" \\ c\n\t\x00\x7f\u2028'],
)
def test_a_statement_signs_the_canonical_json_of_its_claims(issuer: str) -> None:
    rules = StatementRules(issuer=issuer, validity=timedelta(hours=24))
    suspended = facts(status="suspended", standing="suspended", suspended_until=date(2026, 4, 1))
    for statement in (claims(facts(), rules, NOW, ASTANA), claims(suspended, rules, NOW, ASTANA)):
        assert payload(statement) == canonical_json(statement).encode()
