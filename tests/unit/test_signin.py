"""Password rules, the second factor's codes and the slow-down-then-lock rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from licensing.domain.passwords import (
    TOO_COMMON,
    TOO_PERSONAL,
    TOO_SHORT,
    password_problems,
)
from licensing.domain.signin import SignInPolicy, accepted_step

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def problems(password: str) -> list[str]:
    return password_problems(password, minimum=12, name="Aigerim Sadykova", email="aigerim@gov.kz")


def test_a_long_uncommon_impersonal_password_is_accepted() -> None:
    assert problems("steppe-falcon-ferry-47") == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-1x", TOO_SHORT),
        ("password1234", TOO_COMMON),
        ("qwertyuiop123", TOO_COMMON),
        ("iloveyou!!!!", TOO_COMMON),
        ("my-aigerim-secret", TOO_PERSONAL),
        ("sadykova-rules-2026", TOO_PERSONAL),
        ("AIGERIM@GOV.KZ-long", TOO_PERSONAL),
    ],
)
def test_weak_common_or_personal_passwords_are_refused(password: str, problem: str) -> None:
    assert problem in problems(password)


def test_a_current_code_is_accepted_once_and_never_again() -> None:
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(NOW)
    step = accepted_step(secret, code, NOW, None)
    assert step == int(NOW.timestamp()) // 30
    assert accepted_step(secret, code, NOW, step) is None
    assert accepted_step(secret, code, NOW + timedelta(seconds=10), step) is None


def test_a_code_one_step_off_is_accepted_but_an_older_one_is_not() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    assert accepted_step(secret, totp.at(NOW - timedelta(seconds=30)), NOW, None) is not None
    assert accepted_step(secret, totp.at(NOW - timedelta(seconds=90)), NOW, None) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert accepted_step(pyotp.random_base32(), code, NOW, None) is None


def test_failures_first_slow_down_then_lock() -> None:
    policy = SignInPolicy(slow_after=3, lock_after=6, lock_for=timedelta(minutes=15))
    assert policy.blocked_until(2, NOW) is None
    assert policy.blocked_until(3, NOW) == NOW + timedelta(seconds=1)
    assert policy.blocked_until(5, NOW) == NOW + timedelta(seconds=4)
    assert policy.blocked_until(6, NOW) == NOW + timedelta(minutes=15)
    assert policy.blocked_until(6, None) is None
