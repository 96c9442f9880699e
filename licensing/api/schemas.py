"""Schemas every resource shares: instants, pages, problems."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

import marshmallow as ma
import msgspec
from marshmallow import fields, validate

from licensing.domain.text import TextRule
from licensing.domain.timestamps import EARLIEST, LATEST, format_utc, parse_utc
from licensing.services.results import Page

MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000_000  # with MAX_PAGE_SIZE, an offset every database takes
MAX_SEQ = 2**31 - 1  # the audit trail's seq column is a 32-bit integer
_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")


def checked_by(rule: Callable[[Any], list[str]]) -> Callable[[Any], None]:
    """A marshmallow validator that applies a domain rule, so a client hears of every bad field
    at once; the use case applies the same rule again for callers that bypass the API."""

    def validate(value: Any) -> None:
        if problems := rule(value):
            raise ma.ValidationError(problems)

    return validate


def bounded_text(rule: TextRule) -> Callable[[Any], None]:
    return checked_by(rule.problems)


def Text(rule: TextRule, **kwargs: Any) -> fields.String:
    """A free-text field under the registry's one text rule."""
    metadata = {"maxLength": rule.limit, **kwargs.pop("metadata", {})}
    return fields.String(validate=bounded_text(rule), metadata=metadata, **kwargs)


def Count(*, minimum: int, maximum: int, **kwargs: Any) -> fields.Integer:
    """A whole number the database can hold, bounded before it gets anywhere near a query."""
    return fields.Integer(strict=False, validate=validate.Range(min=minimum, max=maximum), **kwargs)


_SANE_DAYS = validate.Range(
    min=EARLIEST.date(), max=LATEST.date(), error="Must be between {min} and {max}."
)


class Day(fields.Date):
    """An ISO date in the range the registry deals with (the years 2000 to 2999)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "validate",
            validate.Range(
                min=EARLIEST.date(), max=LATEST.date(), error="Must be between {min} and {max}."
            ),
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or len(value) != 10:
            raise ma.ValidationError("Not a valid date: use YYYY-MM-DD.")
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


class DecimalText(fields.Field):
    """An exact decimal, written as a string ("12.5") or a JSON number, in plain ASCII digits;
    sent back as a string."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        text = (
            str(value)
            if isinstance(value, int | Decimal) and not isinstance(value, bool)
            else value
        )
        if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
            raise ma.ValidationError(
                "Not a valid decimal: digits with an optional point, e.g. 12.5."
            )
        return Decimal(text)


class Instant(fields.DateTime):
    """A UTC instant written as 2026-11-28T19:51:57.123456Z."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else format_utc(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise ma.ValidationError("Not a valid time.")
        try:
            return parse_utc(value)
        except ValueError:
            raise ma.ValidationError(
                "Not a valid time: use ISO 8601 with an offset, e.g. 2026-11-28T19:51:57Z."
            ) from None


class PageQuerySchema(ma.Schema):
    page = Count(minimum=1, maximum=MAX_PAGE, load_default=1)
    page_size = Count(minimum=1, maximum=MAX_PAGE_SIZE, load_default=20)


def page_of(item: type[ma.Schema]) -> type[ma.Schema]:
    """The body of a list: {"items": [...], "total": N, "page": P, "page_size": S}."""
    return ma.Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
        },
        name=item.__name__.removesuffix("Schema") + "PageSchema",
    )


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    class Meta:
        # RFC 9457 lets a problem type carry extension members of its own
        unknown = ma.INCLUDE

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For invalid input: the messages for each field."},
    )
    current_status = fields.String(
        metadata={"description": "For an action not allowed: the licence's status."}
    )
    allowed_actions = fields.List(
        fields.String(),
        metadata={"description": "For an action not allowed: what the status allows."},
    )
    current_version = fields.Integer(
        metadata={"description": "For a stale `If-Match`: the licence's current version."}
    )


class ValidationProblemSchema(ProblemSchema):
    """A 422: the problem, with the messages for each field that is not valid."""

    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "The messages for each field, by field name."},
    )


class FlatJson:
    """Writes what a flat schema of strings, booleans, integers, dates and instants dumps, as the
    app's JSON answer (sorted keys, compact, UTF-8, a newline), byte for byte, with one fast
    encoder: for the hottest public routes, where the dump and the encoding were a tenth of the
    answer. The schema stays the one declaration, and the OpenAPI document's; a test holds the
    two paths to the same bytes."""

    _ENCODER = msgspec.json.Encoder(order="sorted")

    def __init__(self, schema: type[ma.Schema]) -> None:
        self.fields = tuple(
            (field.data_key or name, field.attribute or name, self._writer(name, field))
            for name, field in schema().fields.items()
        )
        self._keys = tuple(key for key, _, _ in self.fields)
        self._values = attrgetter(*(attribute for _, attribute, _ in self.fields))
        # the fields whose values are written other than as they are: (position, key, writer)
        self._written = tuple(
            (position, key, write)
            for position, (key, _, write) in enumerate(self.fields)
            if write is not None
        )

    @staticmethod
    def _writer(name: str, field: fields.Field) -> Callable[[Any], Any] | None:
        if isinstance(field, Instant):
            return format_utc
        if isinstance(field, fields.DateTime):
            raise TypeError(f"{name}: only instants are written as times")
        if isinstance(field, fields.Date):
            return date.isoformat
        if isinstance(field, fields.String | fields.Boolean | fields.Integer):
            return None  # as it is
        raise TypeError(f"{name}: {type(field).__name__} is not a flat field")

    def __call__(self, obj: Any) -> bytes:
        return self._ENCODER.encode(self._document(obj)) + b"\n"

    def page(self, found: Page[Any]) -> bytes:
        """A list's body as `page_of` this schema dumps it."""
        document = {
            "items": [self._document(item) for item in found.items],
            "total": found.total,
            "page": found.page,
            "page_size": found.page_size,
        }
        return self._ENCODER.encode(document) + b"\n"

    def _document(self, obj: Any) -> dict[str, Any]:
        values = self._values(obj)
        if len(self._keys) == 1:
            values = (values,)
        document = dict(zip(self._keys, values, strict=True))
        for position, key, write in self._written:
            value = values[position]
            if value is not None:
                document[key] = write(value)
        return document
