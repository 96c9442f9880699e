"""What use cases hand back: plain snapshots of a licence, computed for one day, detached from the
session (so they outlive the transaction and can be kept for an idempotent replay)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from licensing.domain.chain import canonical_json
from licensing.domain.decider import LicenceState
from licensing.domain.licence import capacity_text, is_overdue
from licensing.domain.lifecycle import allowed_actions
from licensing.domain.standing import IN_FORCE, standing
from licensing.domain.timestamps import format_utc, parse_utc

T = TypeVar("T")

_DATES = ("issued_on", "expires_on", "suspended_until")
_TIMES = ("status_since", "created_at", "updated_at")


def standing_today(licence: Any, today: date) -> dict[str, Any]:
    """A licence's `standing` on `today` and whether it is `in_force`, from anything holding its
    status, issued_on, expires_on and suspended_until (a model, a row of a query)."""
    word = standing(
        licence.status, licence.issued_on, licence.expires_on, licence.suspended_until, today
    )
    return {"standing": word, "in_force": word == IN_FORCE}


@dataclass(frozen=True)
class LicenceView:
    number: str
    holder_name: str
    holder_bin: str
    subtype: str
    site_address: str
    region: str
    capacity_mw: str
    issued_on: date
    expires_on: date
    status: str
    standing: str
    in_force: bool
    overdue: bool
    status_since: datetime
    suspended_until: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str]

    @classmethod
    def of(cls, licence: LicenceState, today: date) -> LicenceView:
        return cls(
            number=licence.number,
            holder_name=licence.holder_name,
            holder_bin=licence.holder_bin,
            subtype=licence.subtype,
            site_address=licence.site_address,
            region=licence.region,
            capacity_mw=capacity_text(licence.capacity_mw),
            issued_on=licence.issued_on,
            expires_on=licence.expires_on,
            status=licence.status,
            **standing_today(licence, today),
            overdue=is_overdue(licence.status, licence.suspended_until, today),
            status_since=licence.status_since,
            suspended_until=licence.suspended_until,
            version=licence.version,
            created_at=licence.created_at,
            updated_at=licence.updated_at,
            allowed_actions=allowed_actions(licence.status),
        )

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        for name in _DATES:
            record[name] = record[name] and record[name].isoformat()
        for name in _TIMES:
            record[name] = format_utc(record[name])
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LicenceView:
        values = dict(record)
        for name in _DATES:
            values[name] = values[name] and date.fromisoformat(values[name])
        for name in _TIMES:
            values[name] = parse_utc(values[name])
        if "standing" not in values:  # kept before standings were reported
            values["standing"] = standing(
                values["status"], values["issued_on"], values["expires_on"],
                values["suspended_until"], values["updated_at"].date(),
            )  # fmt: skip
        return cls(**values)


@dataclass(frozen=True)
class PublicLicenceView:
    """What anyone may see of a licence."""

    number: str
    holder_name: str
    region: str
    subtype: str
    status: str
    standing: str
    in_force: bool
    status_since: datetime
    expires_on: date
    suspended_until: date | None

    @classmethod
    def of(cls, view: LicenceView) -> PublicLicenceView:
        return cls(**{f.name: getattr(view, f.name) for f in fields(cls)})

    @classmethod
    def of_row(cls, row: Any, today: date) -> PublicLicenceView:
        """From a row holding the public columns and `issued_on` (the lookup's own query)."""
        stored = {name: getattr(row, name) for name in _PUBLIC_STORED}
        return cls(**stored, **standing_today(row, today))

    @property
    def etag(self) -> str:
        """A digest of everything shown: it changes with every change, and with the standing when
        the calendar alone turns it."""
        shown = {name: str(getattr(self, name)) for name in _PUBLIC_FIELDS}
        return hashlib.sha256(canonical_json(shown).encode()).hexdigest()[:32]


_PUBLIC_FIELDS = tuple(f.name for f in fields(PublicLicenceView))
# The public fields a row holds as they are; standing and in_force are worked out for the day.
_PUBLIC_STORED = tuple(name for name in _PUBLIC_FIELDS if name not in ("standing", "in_force"))


@dataclass(frozen=True)
class AsOf:
    """The register entry (its seq, when it was recorded, its hash) that a page's facts are as
    of, in the database they were read from; seq 0 for an empty register."""

    seq: int
    at: datetime | None
    hash: str = ""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class Slice(Generic[T]):
    """A page of a list that grows at its head (the trail's newest events), newest first, found by
    a cursor on its key rather than by a page number, so new rows never shift what a page shows."""

    items: list[T]
    total: int  # rows in the whole list
    newer: int  # rows newer than this page's first
    newer_before: int | None  # the cursor of the page of newer rows (None: the head)
    older_before: int | None  # the cursor of the page of older rows (None: there are none)


@dataclass(frozen=True)
class Outcome:
    """The licence after a write, and whether it is the kept answer to an earlier request."""

    licence: LicenceView
    replayed: bool = False
