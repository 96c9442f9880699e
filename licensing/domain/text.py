"""Free-text fields: required, trimmed, bounded."""

from __future__ import annotations


def text_problems(value: str, limit: int) -> list[str]:
    """Why `value` is not acceptable as a required text of at most `limit` characters."""
    value = value.strip()
    if not value:
        return ["Must not be empty."]
    if len(value) > limit:
        return [f"Must be at most {limit} characters."]
    return []
