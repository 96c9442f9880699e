"""The registry's one way to write an instant: UTC, ISO 8601, microseconds, `Z`."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_TEXT = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ"
# The instants the registry deals with. Anything outside is refused before any arithmetic, so no
# time zone shift can carry a date past the calendar's end.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def format_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where a UTC time is required")
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime writes such a year with fewer digits
        return utc.strftime(_FORMAT)
    # the same text as strftime(_FORMAT), a few times faster (once per change, per event)
    return _TEXT % (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second,
                    utc.microsecond)  # fmt: skip


def parse_utc(text: str) -> datetime:
    """An ISO 8601 time with an offset (`Z` or `+05:00`), as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a time needs its offset, e.g. 2026-11-28T19:51:57Z")
    if not EARLIEST.year < moment.year < LATEST.year:
        raise ValueError(f"a time must lie after the year {EARLIEST.year} and before {LATEST.year}")
    return moment.astimezone(UTC)
