"""Reading the console's forms into the commands the use cases take; a field that cannot even be
read (a date that is no date) is reported next to it, like the domain's own refusals."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from licensing.domain.errors import InvalidFields
from licensing.domain.licence import AMENDABLE, CHOICES, ISSUED_FIELDS, Application

MAX_FIELD = 4000  # longer than any rule allows; cut before anything reads it


def given(form: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The named fields as typed (bounded), for showing back and for reading."""
    return {name: form.get(name, "")[:MAX_FIELD] for name in names}


@dataclass(frozen=True)
class Input:
    """How the console's forms take one of a licence's fields: its <input> type, whether it must
    be given, and the codes a <select> offers for a field with a closed list."""

    name: str
    type: str
    required: bool
    choices: tuple[str, ...] | None


# Worked out from the application the domain takes: a new field needs nothing here.
_TYPES = {f.name: f.type for f in fields(Application)}
INPUTS = {
    f.name: Input(
        f.name,
        "date" if f.type.startswith("date") else "text",
        f.default is MISSING and f.name not in CHOICES,
        CHOICES.get(f.name),
    )
    for f in fields(Application)
}


def application(values: Mapping[str, str]) -> Application:
    errors: dict[str, list[str]] = {}
    read = {name: _read(name, values[name], errors) for name in ISSUED_FIELDS}
    if errors:
        raise InvalidFields(errors)
    return Application(**read)


def amendment(values: Mapping[str, str], current: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the officer changed, read."""
    errors: dict[str, list[str]] = {}
    changes = {
        name: _read(name, values[name], errors)
        for name in AMENDABLE
        if values[name] != str(current[name])
    }
    if errors:
        raise InvalidFields(errors)
    return changes


def _read(name: str, text: str, errors: dict[str, list[str]]) -> Any:
    """A field as typed, read as the application holds it; a number or date that cannot even be
    read is reported next to it."""
    if _TYPES[name] == "Decimal":
        return _decimal(text, name, errors) or Decimal(0)
    if INPUTS[name].type == "date":
        return _day(text, name, errors, optional=not INPUTS[name].required)
    return text


def day(text: str, field: str, errors: dict[str, list[str]]) -> date | None:
    return _day(text, field, errors, optional=False)


def version(form: Mapping[str, str]) -> int | None:
    text = form.get("version", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def new_form_key() -> str:
    """One per confirmation page: posting that page twice is one request, not two."""
    return secrets.token_urlsafe(24)


def form_key(form: Mapping[str, str]) -> str | None:
    key = form.get("form_key", "")
    return key if 20 <= len(key) <= 64 and key.isascii() and key.isprintable() else None


# What a person types for a number and a day: ASCII digits only (Decimal and date would also
# take other scripts' digits, underscores and ISO week dates, and record them as something else).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _decimal(text: str, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    text = text.strip()
    try:
        value = Decimal(text.replace(",", ".")) if _NUMBER.fullmatch(text) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors[field] = [_("Give a number, like 12.5.")]
        return None
    return value


def _day(text: str, field: str, errors: dict[str, list[str]], *, optional: bool) -> date | None:
    text = text.strip()
    if not text and optional:
        return None
    try:
        return date.fromisoformat(text) if _DAY.fullmatch(text) else date.fromisoformat("x")
    except ValueError:
        errors[field] = [_("Give a date as YYYY-MM-DD.")]
        return None


def N_(message: str) -> str:  # the name message extractors look for
    """Mark a message said elsewhere (a rule, a use case) for the catalogues; shown translated."""
    return message


# What the account rules answer, word for word, so the set-up page shows it in the reader's
# language (see domain/passwords.py and services/accounts.py).
ACCOUNT_MESSAGES = (
    N_("This password is too common; choose another."),
    N_("The password must not contain your name or e-mail address."),
    N_("The two passwords differ."),
    N_("This code is not the one your app shows now."),
    N_("Repeated letters or words (like “aaaa” or “abcabc”) are easy to guess."),
    N_("Runs like “abcd” or “6543” are easy to guess."),
    N_("Rows and patterns of neighbouring keys (like “qwerty”) are easy to guess."),
    N_("Dates and years are easy to guess."),
    N_("A single word or name, even with a few digits, is easy to guess."),
    N_("This password is easy to guess: use a few unrelated words."),
    N_("This is not your current password."),
    N_("Too many wrong passwords: wait a few minutes before trying again."),
)
