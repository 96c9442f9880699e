"""The register in numbers on the wire."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields

from licensing.domain.statistics import DECISIONS, MONTHS, Numbers

_COUNTS = fields.Dict(keys=fields.String(), values=fields.Integer())
_MEGAWATTS = fields.Dict(
    keys=fields.String(),
    values=fields.String(metadata={"example": "12.500"}),
    metadata={"description": "MW as decimal text, summed exactly"},
)


class LicenceCountsSchema(ma.Schema):
    total = fields.Integer()
    by_standing = _COUNTS
    by_region = _COUNTS
    by_subtype = _COUNTS


class CapacitySchema(ma.Schema):
    total = fields.String(metadata={"example": "412.750"})
    by_region = _MEGAWATTS
    by_subtype = _MEGAWATTS


class MonthSchema(ma.Schema):
    month = fields.String(metadata={"example": "2026-03"})
    decisions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": f"Events of each of {', '.join(DECISIONS)} recorded that month"},
    )


class StatisticsSchema(ma.Schema):
    as_of_seq = fields.Integer(
        metadata={"description": "The audit trail's last event when the numbers were counted"}
    )
    as_of_hash = fields.String(
        metadata={"description": "That event's hash (64 hex; 64 zeros before the first event)"}
    )
    log_size = fields.Integer(
        metadata={"description": "The transparency log's size at that state (section 10)"}
    )
    today = fields.Date(metadata={"description": "The day standings were worked out for"})
    licences = fields.Nested(LicenceCountsSchema)
    capacity_mw = fields.Nested(CapacitySchema)
    decisions_per_month = fields.List(
        fields.Nested(MonthSchema),
        metadata={
            "description": f"The last {MONTHS} months in the registry's time zone, oldest first"
        },
    )


def statistics_record(numbers: Numbers) -> dict[str, Any]:
    """`numbers` in the shape StatisticsSchema writes (and the open CSV tables read)."""
    return {
        "as_of_seq": numbers.as_of_seq,
        "as_of_hash": numbers.as_of_hash,
        "log_size": numbers.log_size,
        "today": numbers.today,
        "licences": {
            "total": numbers.total,
            "by_standing": numbers.by_standing,
            "by_region": numbers.by_region,
            "by_subtype": numbers.by_subtype,
        },
        "capacity_mw": {
            "total": str(numbers.capacity_mw),
            "by_region": {k: str(v) for k, v in numbers.capacity_by_region.items()},
            "by_subtype": {k: str(v) for k, v in numbers.capacity_by_subtype.items()},
        },
        "decisions_per_month": [
            {"month": month, "decisions": numbers.decisions[month]} for month in numbers.months
        ],
    }
