"""The reason-code catalogue on the wire."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from licensing.domain.lifecycle import STATUS_ACTIONS
from licensing.domain.reasons import LANGUAGES

_ACTION = fields.String(validate=validate.OneOf(STATUS_ACTIONS))


def _per_language(what: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.String(),
        metadata={"description": f"{what}, in each of: {', '.join(LANGUAGES)}"},
    )


class ReasonCodeSchema(ma.Schema):
    code = fields.String(metadata={"example": "false_information"})
    actions = fields.List(_ACTION, metadata={"description": "The actions it may justify"})
    accepted_for = fields.List(
        _ACTION, metadata={"description": "The actions this registry accepts it for (settings)"}
    )
    labels = _per_language("The ground in words")
    article = _per_language("The legal provision it rests on, cited")


class ReasonCodesSchema(ma.Schema):
    items = fields.List(fields.Nested(ReasonCodeSchema))
