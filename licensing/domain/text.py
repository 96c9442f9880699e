"""Free text: the one rule every text field follows, on every route and in every command.

Text is stored in NFC, trimmed, bounded, and printable: no control characters (a line break only
where a field may hold several lines), no lone surrogates (no UTF-8 text can hold one, and
PostgreSQL refuses them), no private-use, unassigned or non-characters, and none of the invisible
characters that reorder what a reader sees (bidirectional embeddings, overrides, isolates and
marks), which would let a public page show a name reversed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Bidirectional formatting characters (Unicode's Bidi_Control), the byte-order mark, and the
# line and paragraph separators, which act as line breaks no field expects.
_INVISIBLE = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FORBIDDEN_OTHERS = frozenset("\ufeff\u2028\u2029")
# C0 and C1 controls, DEL, and lone surrogates: refused outright, before any other look.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n?")
_REFUSED_CATEGORIES = frozenset(("Cc", "Cs", "Co", "Cn"))


@dataclass(frozen=True)
class TextRule:
    """A text field's bounds: at most `limit` characters; several lines only when `multiline`."""

    limit: int
    multiline: bool = False

    def problems(self, value: str) -> list[str]:
        return text_problems(value, self.limit, multiline=self.multiline)


SEARCH = TextRule(200)  # what a search box takes
NAME = TextRule(100)  # who someone is: a token's or an account's name, the actor of an event


def text_problems(value: str, limit: int, *, multiline: bool = False) -> list[str]:
    """Why `value` is not acceptable as a required text of at most `limit` characters."""
    if len(value) > 4 * limit:  # far over: refuse before reading it whole
        return [f"Must be at most {limit} characters."]
    text = normalise_text(value)
    if not text:
        return ["Must not be empty."]
    if len(text) > limit:
        return [f"Must be at most {limit} characters."]
    if problem := _character_problem(text, multiline=multiline):
        return [problem]
    return []


def normalise_text(value: str) -> str:
    """The form text is stored in: line breaks as \\n, trimmed, NFC. (Call on text that passed
    text_problems; on other text it may raise.)"""
    return unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", value)).strip()


def _character_problem(text: str, *, multiline: bool) -> str | None:
    for char in text:
        if char == "\n":
            if not multiline:
                return "Must be a single line."
        elif _CONTROL.match(char):
            if not (multiline and char == "\t"):
                return "Must not contain control characters."
        elif char in _INVISIBLE:
            return "Must not contain invisible characters that change the reading direction."
        elif (
            char in _FORBIDDEN_OTHERS
            or unicodedata.category(char) in _REFUSED_CATEGORIES
            or (ord(char) & 0xFFFE) == 0xFFFE
            or 0xFDD0 <= ord(char) <= 0xFDEF
        ):
            return "Must contain only printable characters."
    return None
