"""Password rules, the second factor's codes and the rule of how failures slow down, lock, and
decay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.domain.passwords import (
    TOO_COMMON,
    TOO_DATED,
    TOO_GUESSABLE,
    TOO_KEYBOARD,
    TOO_PERSONAL,
    TOO_REPETITIVE,
    TOO_SEQUENTIAL,
    TOO_SHORT,
    TOO_WORDY,
    password_problems,
    reason,
)
from licensing.domain.signin import Counts, SignInPolicy, accepted_step, admitted

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


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaaaa", TOO_REPETITIVE),
        ("elephantelephant", TOO_REPETITIVE),
        ("abcdefghijklmn", TOO_SEQUENTIAL),
        ("qazwsxedcrfvtgb", TOO_COMMON),  # a keyboard pattern crackers have on their lists
        ("Aigerim19901990", TOO_PERSONAL),
    ],
)
def test_a_password_easy_to_guess_is_refused_saying_why(password: str, reason: str) -> None:
    assert problems(password) == [reason]


@pytest.mark.parametrize(
    "password",
    ["пароль123456", "құпиясөз12345", "Құпиясөз2026!", "kupiyasoz2026!", "qupiyasoz2026",
     "Лицензия2026!", "litsenziya2026", "тізілім2026", "Администратор1", "majning2026!"],
)  # fmt: skip
def test_the_registry_words_in_kazakh_and_russian_are_refused_as_english_ones_are(
    password: str,
) -> None:
    # the Kazakh word for password is no harder to guess than the Russian or the English one
    assert problems(password)


def test_each_kind_of_weakness_has_a_reason_of_our_own() -> None:
    assert reason([]) == TOO_GUESSABLE
    assert reason([{"pattern": "bruteforce", "token": "x7"}]) == TOO_GUESSABLE
    assert reason([{"pattern": "spatial", "token": "qwer"}]) == TOO_KEYBOARD
    assert reason([{"pattern": "date", "token": "1990"}]) == TOO_DATED
    assert reason([{"pattern": "regex", "token": "2024"}]) == TOO_DATED
    word = {"pattern": "dictionary", "token": "falcon", "dictionary_name": "english_wikipedia"}
    assert reason([word, {"pattern": "repeat", "token": "aa"}]) == TOO_WORDY
    assert reason([{**word, "dictionary_name": "passwords"}]) == TOO_COMMON


POLICY = SignInPolicy(slow_after=3, lock_after=10, lock_for=timedelta(minutes=15))
failures = st.floats(min_value=0, max_value=1000, allow_nan=False)
seconds = st.integers(min_value=0, max_value=10**7)


@given(failures, seconds, seconds)
def test_a_count_never_grows_with_time_alone(count: float, first: int, more: int) -> None:
    earlier = POLICY.decayed(count, NOW, NOW + timedelta(seconds=first))
    later = POLICY.decayed(count, NOW, NOW + timedelta(seconds=first + more))
    assert 0 <= later <= earlier <= count


@given(failures)
def test_a_count_halves_with_each_period_without_failure(count: float) -> None:
    assert POLICY.decayed(count, NOW, NOW + timedelta(minutes=14, seconds=59)) == count
    assert POLICY.decayed(count, NOW, NOW + timedelta(minutes=15)) == count / 2
    assert POLICY.decayed(count, NOW, NOW + timedelta(minutes=45)) == count / 8


@given(failures, failures)
def test_more_failures_never_wait_less(fewer: float, extra: float) -> None:
    assert POLICY.wait(fewer) <= POLICY.wait(fewer + extra) <= POLICY.lock_for


@given(st.integers(min_value=3, max_value=50), st.floats(min_value=0, max_value=0.999))
def test_one_more_failure_after_a_lock_ended_does_not_lock_again(
    lock_after: int, over: float
) -> None:
    policy = SignInPolicy(slow_after=2, lock_after=lock_after, lock_for=timedelta(minutes=15))
    locked = lock_after + over  # the count as the lock began
    assert policy.locks(locked)
    ended = NOW + policy.lock_for
    assert policy.blocked_until(locked, NOW) == ended
    assert not policy.locks(policy.counted(locked, NOW, ended))


def test_a_count_comes_down_below_any_wait_in_time() -> None:
    assert POLICY.blocked_until(POLICY.decayed(500, NOW, NOW + timedelta(hours=3)), NOW) is None


def counts(address: float, login: float) -> Counts:
    """Counts of failures as of a failure just now."""
    return Counts(
        address, POLICY.blocked_until(address, NOW), login, POLICY.blocked_until(login, NOW)
    )


def test_a_locked_login_still_admits_a_second_factor_from_an_address_not_failing() -> None:
    later = NOW + timedelta(seconds=5)
    assert admitted(POLICY, counts(0, 10), later, second_factor=True)
    assert admitted(POLICY, counts(2, 10), later, second_factor=True)
    assert not admitted(POLICY, counts(3, 10), later, second_factor=True)  # it has been failing
    assert not admitted(POLICY, counts(0, 10), later, second_factor=False)  # a password alone


def test_an_address_that_must_wait_is_refused_whatever_login_it_tries() -> None:
    assert not admitted(POLICY, counts(3, 0), NOW, second_factor=True)
    assert admitted(POLICY, counts(3, 0), NOW + timedelta(seconds=1), second_factor=False)
    assert not admitted(POLICY, counts(10, 0), NOW + timedelta(minutes=14), second_factor=True)
