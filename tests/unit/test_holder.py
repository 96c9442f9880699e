from __future__ import annotations

import pytest

from licensing.domain.holder import bin_problems, is_valid_bin, with_check_digit


@pytest.mark.parametrize("value", ["971240001315", "170646409046", "000740000728"])
def test_valid_bins_pass(value: str) -> None:
    assert bin_problems(value) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("97124000131", "exactly 12 digits"),
        ("9712400013155", "exactly 12 digits"),
        ("", "exactly 12 digits"),
        ("97124000131A", "digits only"),
        ("９７１２４０００１３１５", "digits only"),  # full-width digits are not ASCII
        ("971240001316", "check digit"),
    ],
)
def test_bad_bins_say_why(value: str, message: str) -> None:
    problems = bin_problems(value)
    assert len(problems) == 1
    assert message in problems[0]


FIRST = range(1, 12)
SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def _weighted(stem: str, weights: object) -> int:
    return sum(int(c) * w for c, w in zip(stem, weights, strict=True)) % 11  # type: ignore[call-overload]


def test_second_weights_decide_when_the_first_sum_gives_ten() -> None:
    stem = next(
        s
        for s in (f"{n:011d}" for n in range(10**10, 10**10 + 100_000))
        if _weighted(s, FIRST) == 10 and _weighted(s, SECOND) != 10
    )
    full = with_check_digit(stem)
    assert full == stem + str(_weighted(stem, SECOND))
    assert is_valid_bin(full)


def test_a_number_whose_both_sums_give_ten_is_never_valid() -> None:
    stem = next(
        s
        for s in (f"{n:011d}" for n in range(10**10, 10**10 + 1_000_000))
        if _weighted(s, FIRST) == 10 and _weighted(s, SECOND) == 10
    )
    assert with_check_digit(stem) is None
    assert not any(is_valid_bin(stem + d) for d in "0123456789")


def test_every_other_check_digit_is_refused() -> None:
    good = "971240001315"
    for digit in "0123456789":
        candidate = good[:-1] + digit
        assert is_valid_bin(candidate) == (candidate == good)
