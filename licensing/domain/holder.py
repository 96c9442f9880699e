"""Licence holders: the 12-digit BIN (legal entity) or IIN (individual) and its check digit."""

from __future__ import annotations

_FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def bin_problems(value: str) -> list[str]:
    """Why `value` is not a valid BIN/IIN; an empty list when it is."""
    if len(value) != 12:
        return ["Must be exactly 12 digits."]
    if not (value.isascii() and value.isdigit()):
        return ["Must contain digits only."]
    digits = [int(c) for c in value]
    if _check_digit(digits[:11]) != digits[11]:
        return ["The check digit does not match: this is not a valid BIN/IIN."]
    return []


def is_valid_bin(value: str) -> bool:
    return not bin_problems(value)


def _check_digit(digits: list[int]) -> int | None:
    # The national algorithm: a weighted sum mod 11, retried with shifted weights when it gives 10;
    # a number whose second sum also gives 10 is never issued.
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def with_check_digit(first_eleven: str) -> str | None:
    """The full BIN for eleven digits, or None when no check digit can make it valid."""
    digit = _check_digit([int(c) for c in first_eleven])
    return None if digit is None else f"{first_eleven}{digit}"
