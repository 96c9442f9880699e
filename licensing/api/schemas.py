"""Schemas every resource shares: instants, pages, problems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from licensing.domain.text import text_problems
from licensing.domain.timestamps import format_utc, parse_utc

MAX_PAGE_SIZE = 100


def checked_by(rule: Callable[[Any], list[str]]) -> Callable[[Any], None]:
    """A marshmallow validator that applies a domain rule, so a client hears of every bad field
    at once; the use case applies the same rule again for callers that bypass the API."""

    def validate(value: Any) -> None:
        if problems := rule(value):
            raise ma.ValidationError(problems)

    return validate


def bounded_text(limit: int) -> Callable[[Any], None]:
    return checked_by(lambda value: text_problems(value, limit))


class Instant(fields.DateTime):
    """A UTC instant written as 2026-11-28T19:51:57.123456Z."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else format_utc(value)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str):
            raise ma.ValidationError("Not a valid time.")
        try:
            return parse_utc(value)
        except ValueError:
            raise ma.ValidationError(
                "Not a valid time: use ISO 8601 with an offset, e.g. 2026-11-28T19:51:57Z."
            ) from None


class PageQuerySchema(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


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
