"""The current instant. One function, so tests can move time without touching the system clock."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
