"""The registry's one way to write an instant: UTC, ISO 8601, microseconds, `Z`."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where a UTC time is required")
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_utc(text: str) -> datetime:
    """An ISO 8601 time with an offset (`Z` or `+05:00`), as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time needs its offset, e.g. 2026-11-28T19:51:57Z")
    return moment.astimezone(UTC)
