"""The register in numbers: the months a count of decisions covers, and the sums of grouped rows.
Pure: the service reads the rows in one snapshot, this adds them up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from licensing.domain.licence import CAPACITY_PLACES, SUBTYPES
from licensing.domain.lifecycle import ISSUE, STATUS_ACTIONS
from licensing.domain.regions import REGIONS
from licensing.domain.standing import STANDINGS

MONTHS = 24  # how far back decisions are counted, this month included
DECISIONS = (ISSUE, *STATUS_ACTIONS)  # the acts a decision of the licensor or a court records
# Capacities have at most CAPACITY_PLACES decimals: summed as whole thousandths, they are exact on
# every database (SQLite would add its text through floats).
CAPACITY_UNITS = 10**CAPACITY_PLACES


@dataclass(frozen=True)
class Month:
    """A calendar month in the registry's time zone, and the UTC instants it runs between."""

    year: int
    month: int
    starts: datetime
    ends: datetime

    @property
    def code(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def recent_months(today: date, timezone: ZoneInfo, count: int = MONTHS) -> list[Month]:
    """The `count` months up to and including `today`'s, oldest first."""
    index = today.year * 12 + today.month - 1  # months since year 0, today's
    firsts = [divmod(i, 12) for i in range(index - count + 1, index + 2)]  # and the one after
    firsts = [(y, m + 1) for y, m in firsts]

    def start(y: int, m: int) -> datetime:
        return datetime(y, m, 1, tzinfo=timezone).astimezone(UTC)

    return [Month(y, m, start(y, m), start(*firsts[i + 1])) for i, (y, m) in enumerate(firsts[:-1])]


@dataclass(frozen=True)
class Group:
    """Licences of one region, subtype and standing: how many, and their capacity in thousandths
    of a MW."""

    region: str
    subtype: str
    standing: str
    licences: int
    capacity_units: int


@dataclass(frozen=True)
class Numbers:
    """What the statistics page and API show, all read from one state of the register."""

    as_of_seq: int
    as_of_hash: str  # the hash of that event: the state is checkable against any export
    log_size: int
    today: date
    total: int
    capacity_mw: Decimal
    by_standing: dict[str, int]
    by_region: dict[str, int]
    by_subtype: dict[str, int]
    capacity_by_region: dict[str, Decimal]
    capacity_by_subtype: dict[str, Decimal]
    months: list[str]  # YYYY-MM, oldest first
    decisions: dict[str, dict[str, int]]  # month -> action -> count


def megawatts(units: int) -> Decimal:
    """Thousandths of a MW as MW, with exactly CAPACITY_PLACES decimals."""
    return (Decimal(units) / CAPACITY_UNITS).quantize(Decimal(1).scaleb(-CAPACITY_PLACES))


def numbers(
    groups: Iterable[Group],
    decided: Iterable[tuple[int, str, int]],
    months: list[Month],
    *,
    as_of_seq: int,
    as_of_hash: str,
    log_size: int,
    today: date,
) -> Numbers:
    """Sum `groups` by each dimension, and lay `decided` ((month index, action, count)) out month
    by month; every region, subtype, standing, month and action appears, with 0 where none."""
    by_standing = dict.fromkeys(STANDINGS, 0)
    by_region = dict.fromkeys(REGIONS, 0)
    by_subtype = dict.fromkeys(SUBTYPES, 0)
    units_region = dict.fromkeys(REGIONS, 0)
    units_subtype = dict.fromkeys(SUBTYPES, 0)
    for group in groups:
        by_standing[group.standing] += group.licences
        by_region[group.region] += group.licences
        by_subtype[group.subtype] += group.licences
        units_region[group.region] += group.capacity_units
        units_subtype[group.subtype] += group.capacity_units
    codes = [month.code for month in months]
    decisions = {code: dict.fromkeys(DECISIONS, 0) for code in codes}
    for index, action, count in decided:
        decisions[codes[index]][action] += count
    return Numbers(
        as_of_seq=as_of_seq,
        as_of_hash=as_of_hash,
        log_size=log_size,
        today=today,
        total=sum(by_standing.values()),
        capacity_mw=megawatts(sum(units_region.values())),
        by_standing=by_standing,
        by_region=by_region,
        by_subtype=by_subtype,
        capacity_by_region={k: megawatts(v) for k, v in units_region.items()},
        capacity_by_subtype={k: megawatts(v) for k, v in units_subtype.items()},
        months=codes,
        decisions=decisions,
    )
