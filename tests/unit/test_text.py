"""The one text rule: what it refuses, and that what it accepts is stored in a stable form."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.domain.text import TextRule, normalise_text, text_problems

RULE = TextRule(50)
MULTILINE = TextRule(50, multiline=True)


@pytest.mark.parametrize(
    "text",
    [
        "ТОО «Qazaq Hash Power»",
        "Қазақстан Ұлттық",
        "ИП Сериков А.Б.",
        "O'Brien & Co. (№ 7)",
        "数字",
    ],
)
def test_names_in_the_languages_of_the_register_are_accepted(text: str) -> None:
    assert RULE.problems(text) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a\x00", "control"),
        ("a\x07", "control"),
        ("a\x85b", "control"),
        ("a\tb", "control"),
        ("a\nb", "single line"),
        ("\u202eevil", "reading direction"),
        ("a\u200fb", "reading direction"),
        ("a\ud800", "control"),
        ("a\ue000", "printable"),
        ("a\ufffe", "printable"),
        ("a\u2028b", "printable"),
        ("x" * 51, "at most 50"),
        ("", "empty"),
    ],
)
def test_what_the_rule_refuses(text: str, words: str) -> None:
    assert words in " ".join(RULE.problems(text))


def test_several_lines_only_where_a_field_takes_them() -> None:
    assert MULTILINE.problems("one\ntwo\tthree") == []
    assert normalise_text(" one\r\ntwo\r ") == "one\ntwo"


@given(st.text(max_size=60))
def test_accepted_text_is_printable_bounded_and_stable(text: str) -> None:
    if text_problems(text, 50):
        return
    stored = normalise_text(text)
    assert 0 < len(stored) <= 50
    assert stored == normalise_text(stored)
    assert stored == unicodedata.normalize("NFC", stored)
    assert all(unicodedata.category(c) not in ("Cc", "Cs", "Co", "Cn") for c in stored)
    stored.encode("utf-8")  # no lone surrogate survives
    assert not text_problems(stored, 50)
