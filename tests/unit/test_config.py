from __future__ import annotations

import pytest

from licensing.config import ConfigError, database_url, load


def test_defaults_put_sqlite_in_the_instance_folder() -> None:
    config = load("/srv/instance", {})
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/instance/licensing.sqlite"
    policy = config["LICENSING_POLICY"]
    assert (policy.term_years, policy.suspension_min_months, policy.suspension_max_months) == (
        3,
        1,
        6,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgresql_urls_use_psycopg_3(url: str, expected: str) -> None:
    assert database_url(url) == expected


def test_reason_codes_are_configurable_per_action() -> None:
    config = load("/i", {"LICENSING_REASON_CODES_SUSPEND": " false_information , court_order ,"})
    assert config["LICENSING_POLICY"].reason_codes["suspend"] == (
        "false_information",
        "court_order",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LICENSING_SUSPENSION_MAX_MONTHS", "many"),
        ("LICENSING_SUSPENSION_MIN_MONTHS", "7"),
        ("LICENSING_LICENCE_TERM_YEARS", "0"),
        ("LICENSING_TIMEZONE", "Mars/Olympus"),
        ("LICENSING_REASON_CODES_REVOKE", " , "),
        ("LICENSING_REASON_CODES_SUSPEND", "violation_found,=cmd"),
        ("LICENSING_REASON_CODES_RESUME", "Court Order"),
        ("LICENSING_REASON_CODES_SUSPEND", "grid_emergency"),  # not in the catalogue
        ("LICENSING_REASON_CODES_RESUME", "holder_liquidated"),  # not a ground for resuming
        ("LICENSING_MAX_BODY_BYTES", "0"),
    ],
)
def test_impossible_settings_stop_the_start_with_their_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        load("/i", {name: value})
