"""What makes a password acceptable for a person's account: long enough, not a common one, not
their own name or address."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

# The 20,000 most common passwords (the list Django ships, from Royce Williams' compilation of
# breached passwords), lowercased; a password on it is refused whatever its length.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
MAX_LENGTH = 256  # Argon2 takes any length; this bounds the work one request can ask for

TOO_SHORT = "Use at least {minimum} characters."
TOO_LONG = "Use at most {maximum} characters."
TOO_COMMON = "This password is too common; choose another."
TOO_PERSONAL = "The password must not contain your name or e-mail address."


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().casefold() for line in handle if line.strip())


def password_problems(password: str, *, minimum: int, name: str, email: str) -> list[str]:
    """Why `password` is refused for the person called `name` with `email`; [] when it is fine.
    Messages are templates to format with `minimum` and `maximum`."""
    problems = []
    if len(password) < minimum:
        problems.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    folded = password.casefold()
    if folded in common_passwords() or folded.strip("0123456789!?.") in common_passwords():
        problems.append(TOO_COMMON)
    personal = [name.casefold(), email.casefold(), email.casefold().partition("@")[0]]
    personal += [part for part in name.casefold().split() if len(part) >= 4]
    if any(len(word) >= 3 and word in folded for word in personal):
        problems.append(TOO_PERSONAL)
    return problems
