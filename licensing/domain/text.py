"""Free-text fields: required, trimmed, bounded, and printable."""

from __future__ import annotations

import re

# Control characters other than tab and line breaks, and lone surrogates (which no UTF-8 text can
# hold; they arrive as \ud800-style JSON escapes).
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problems(value: str, limit: int) -> list[str]:
    """Why `value` is not acceptable as a required text of at most `limit` characters."""
    value = value.strip()
    if not value:
        return ["Must not be empty."]
    if len(value) > limit:
        return [f"Must be at most {limit} characters."]
    if _UNPRINTABLE.search(value):
        return ["Must not contain control characters."]
    return []
