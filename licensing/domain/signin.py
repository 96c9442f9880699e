"""Signing in: how repeated failures slow a person down and then lock the account, and the
second factor (TOTP, RFC 6238) with its codes usable once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

TOTP_PERIOD = 30  # seconds per time-step, as authenticator apps use
TOTP_DRIFT = 1  # steps either side accepted, for a clock a little off


@dataclass(frozen=True)
class SignInPolicy:
    slow_after: int  # failures before each further attempt must wait
    lock_after: int  # failures that lock the account
    lock_for: timedelta
    longest_wait: timedelta = timedelta(minutes=1)

    def blocked_until(self, failures: int, last_failure: datetime | None) -> datetime | None:
        """Until when no attempt is taken, after `failures` in a row; None when one is taken now."""
        if last_failure is None or failures < self.slow_after:
            return None
        if failures >= self.lock_after:
            return last_failure + self.lock_for
        wait = timedelta(seconds=2 ** (failures - self.slow_after))
        return last_failure + min(wait, self.longest_wait)


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
