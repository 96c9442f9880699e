"""A licence's details and the rules on them: what an application needs, what may be amended, when
a licence is in force."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

from licensing.domain.dates import add_years
from licensing.domain.errors import InvalidFields
from licensing.domain.holder import bin_problems
from licensing.domain.lifecycle import SUSPENDED
from licensing.domain.policy import Policy
from licensing.domain.regions import REGIONS
from licensing.domain.text import TextRule, normalise_text

SUBTYPES = ("I", "II")  # I: own data centre; II: equipment hosted in another's data centre
MAX_CAPACITY_MW = Decimal("10000")
CAPACITY_PLACES = 3
NUMBER_PREFIX = "DM"

# Fields a regulator may amend. The holder (BIN) and the term are what the licence *is*; changing
# them means another licence, so they are not amendable.
AMENDABLE = ("holder_name", "subtype", "site_address", "region", "capacity_mw")
TEXT_RULES = {"holder_name": TextRule(300), "site_address": TextRule(500)}
# What an issue event records of the new licence: everything the licence is, before any action.
ISSUED_FIELDS = (
    "holder_name", "holder_bin", "subtype", "site_address", "region", "capacity_mw", "issued_on",
    "expires_on",
)  # fmt: skip
_DATES = ("issued_on", "expires_on")
# The fields whose value is one of a closed list of codes.
CHOICES = {"subtype": SUBTYPES, "region": tuple(REGIONS)}


@dataclass(frozen=True)
class Details:
    """The amendable part of a licence."""

    holder_name: str
    subtype: str
    site_address: str
    region: str
    capacity_mw: Decimal


@dataclass(frozen=True)
class Application:
    """What a regulator supplies to issue a licence."""

    holder_name: str
    holder_bin: str
    subtype: str
    site_address: str
    region: str
    capacity_mw: Decimal
    issued_on: date | None = None
    expires_on: date | None = None

    @property
    def details(self) -> Details:
        return Details(**{f.name: getattr(self, f.name) for f in fields(Details)})


def format_number(year: int, serial: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{serial:06d}"


_NUMBER = re.compile(rf"{NUMBER_PREFIX}-[0-9]{{4}}-[0-9]{{6,12}}")


def is_licence_number(text: str) -> bool:
    """Whether `text` has the shape of a licence number (DM-2026-000123): anything else names no
    licence, and is turned away before it reaches the database."""
    return _NUMBER.fullmatch(text) is not None


def capacity_text(value: Decimal) -> str:
    """Capacity as the registry writes it: plain decimal notation, no trailing zeros."""
    return format(value.quantize(Decimal(1).scaleb(-CAPACITY_PLACES)).normalize(), "f")


def recorded(name: str, value: Any) -> Any:
    """A licence field as the audit trail writes it: decimals as plain text and dates as ISO
    strings, so no float ever enters the chain. (read_recorded is its inverse.)"""
    if name == "capacity_mw":
        return capacity_text(value)
    if name in _DATES:
        return value.isoformat()
    return value


def read_recorded(name: str, value: Any) -> Any:
    """A licence field as the trail wrote it, back as the register holds it."""
    if name == "capacity_mw":
        return Decimal(value)
    if name in _DATES:
        return date.fromisoformat(value)
    if not isinstance(value, str):
        raise TypeError(f"the event's {name} is not text")
    return value


def issue_record(application: Application) -> dict[str, Any]:
    """What the issue event records of a checked application."""
    return {name: recorded(name, getattr(application, name)) for name in ISSUED_FIELDS}


def is_overdue(status: str, suspended_until: date | None, today: date) -> bool:
    """A suspension whose end has passed: flagged for a regulator, never resumed automatically."""
    return status == SUSPENDED and suspended_until is not None and suspended_until < today


def check_application(application: Application, policy: Policy, today: date) -> Application:
    """The application, normalised and with its term filled in; or InvalidFields, naming each bad
    field."""
    errors: dict[str, list[str]] = {}
    details = _check_details(application.details, errors)
    holder_bin = application.holder_bin.strip()
    if problems := bin_problems(holder_bin):
        errors["holder_bin"] = problems
    issued_on = application.issued_on or today
    if issued_on > today:
        errors["issued_on"] = ["Cannot be in the future."]
    elif issued_on < policy.issue_dates_from:
        errors["issued_on"] = [
            f"Cannot be before {policy.issue_dates_from.isoformat()}, "
            "when licences under the law began."
        ]
    expires_on = application.expires_on
    if "issued_on" not in errors:  # the term is reckoned from a sound issue date only
        longest = add_years(issued_on, policy.term_years)
        expires_on = expires_on or longest
        if not issued_on < expires_on <= longest:
            errors["expires_on"] = [
                f"Must be after the issue date and no later than {longest.isoformat()} "
                f"(a term of at most {policy.term_years} years)."
            ]
    if errors:
        raise InvalidFields(errors)
    return Application(
        **vars(details), holder_bin=holder_bin, issued_on=issued_on, expires_on=expires_on
    )


def check_amendment(current: Details, changes: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields that really change, as {field: (old, new)}, or InvalidFields."""
    if unknown := sorted(set(changes) - set(AMENDABLE)):
        raise InvalidFields({name: ["This field cannot be amended."] for name in unknown})
    errors: dict[str, list[str]] = {}
    wanted = _check_details(replace(current, **changes), errors)
    if errors:
        raise InvalidFields({k: v for k, v in errors.items() if k in changes})
    return {
        name: (getattr(current, name), getattr(wanted, name))
        for name in AMENDABLE
        if name in changes and getattr(current, name) != getattr(wanted, name)
    }


def capacity_problems(capacity: Decimal) -> list[str]:
    if not capacity.is_finite() or not 0 < capacity <= MAX_CAPACITY_MW:
        return [f"Must be greater than 0 and at most {MAX_CAPACITY_MW} MW."]
    if -capacity.normalize().as_tuple().exponent > CAPACITY_PLACES:  # type: ignore[operator]
        return [f"Must have at most {CAPACITY_PLACES} decimal places."]
    return []


def _check_details(details: Details, errors: dict[str, list[str]]) -> Details:
    for name, rule in TEXT_RULES.items():
        if problems := rule.problems(getattr(details, name)):
            errors[name] = problems
    if details.subtype not in SUBTYPES:
        errors["subtype"] = [f"Must be one of: {', '.join(SUBTYPES)}."]
    if details.region not in REGIONS:
        errors["region"] = ["Must be one of the region codes: " + ", ".join(REGIONS) + "."]
    if problems := capacity_problems(details.capacity_mw):
        errors["capacity_mw"] = problems
    if errors:
        return details
    return replace(details, **{name: normalise_text(getattr(details, name)) for name in TEXT_RULES})
