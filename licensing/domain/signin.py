"""Signing in: how failed attempts slow an address or a login down, and decay with time; when a
lock still lets someone in; and the second factor (TOTP, RFC 6238) with its codes usable once.

Failures are counted per source address and per login (the login as typed, normalised, whether or
not an account has it, so the answers say nothing of which accounts exist). A count decays: it
halves with every `lock_for` that passes without a failure, so a lock ends on its own and one more
wrong attempt after it does not lock again; failures closer together than that add up whole."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

TOTP_PERIOD = 30  # seconds per time-step, as authenticator apps use
TOTP_DRIFT = 1  # steps either side accepted, for a clock a little off


@dataclass(frozen=True)
class SignInPolicy:
    slow_after: int  # failures (as decayed) after which each further attempt must wait
    lock_after: int  # failures (as decayed) that lock: attempts wait `lock_for`
    lock_for: timedelta  # how long a lock lasts, and how long a count takes to halve
    longest_wait: timedelta = timedelta(minutes=1)  # the longest wait short of a lock

    def decayed(self, failures: float, last_failure: datetime | None, now: datetime) -> float:
        """What `failures`, counted as of `last_failure`, weigh at `now`: halved for each whole
        `lock_for` since."""
        if last_failure is None or failures <= 0:
            return 0.0
        periods = max(0, (now - last_failure) // self.lock_for)
        return failures * 0.5**periods

    def counted(self, failures: float, last_failure: datetime | None, now: datetime) -> float:
        """The count after one more failure at `now`."""
        return self.decayed(failures, last_failure, now) + 1

    def wait(self, failures: float) -> timedelta:
        """How long after the last failure the next attempt must wait, at a count of `failures`."""
        if failures < self.slow_after:
            return timedelta(0)
        if self.locks(failures):
            return self.lock_for
        wait = timedelta(seconds=2 ** math.floor(failures - self.slow_after))
        return min(wait, self.longest_wait)

    def locks(self, failures: float) -> bool:
        return failures >= self.lock_after

    def blocked_until(self, failures: float, last_failure: datetime | None) -> datetime | None:
        """Until when no attempt is taken, after `failures` counted at `last_failure`; None when
        one is taken at once."""
        if last_failure is None or failures < self.slow_after:
            return None
        return last_failure + self.wait(failures)

    def failing(self, failures: float) -> bool:
        """Whether an address with this (decayed) count has been failing: a lock on a login
        holds against it. An address that slipped once or twice has not."""
        return failures >= self.slow_after


@dataclass(frozen=True)
class Counts:
    """The decayed counts of failures, now, of the address an attempt comes from and of the
    login it names, with when each must wait until (None: not at all)."""

    address: float
    address_until: datetime | None
    login: float
    login_until: datetime | None


def admitted(policy: SignInPolicy, counts: Counts, now: datetime, second_factor: bool) -> bool:
    """Whether an attempt is weighed at all. An address that must wait is refused whatever it
    tries. A login that must wait (an attacker's failures lock it) still lets in an address
    that has not been failing, when the account has a second factor to give after the password:
    a lock keeps guessers out, never the officer who knows both."""
    if counts.address_until is not None and now < counts.address_until:
        return False
    if counts.login_until is None or now >= counts.login_until:
        return True
    return second_factor and not policy.failing(counts.address)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, name: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=issuer)


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time-step `code` belongs to, if it is right now (give or take the drift) and later than
    the last step used: a code seen once is never accepted again. None when refused."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_PERIOD
    for step in range(current - TOTP_DRIFT, current + TOTP_DRIFT + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
