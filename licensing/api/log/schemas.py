"""The log's proofs and description as JSON (DESIGN.md section 10), hashes in base64."""

from __future__ import annotations

import base64
import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from licensing.services.transparency import MAX_SIZE

_SIZE = validate.Range(min=1, max=MAX_SIZE)
_BASE64 = {"description": "Base64 (RFC 4648) of a 32-byte SHA-256 hash", "format": "byte"}


class Hash(fields.Field):  # type: ignore[type-arg]
    """A hash shown in base64."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else base64.b64encode(value).decode()


_WHOLE = re.compile(r"-?[0-9]{1,40}")


class Whole(fields.Integer):
    """A whole number in a query, in ASCII digits only: int() would also take "١" or "１"."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if not isinstance(value, str) or not _WHOLE.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


class InclusionQuerySchema(ma.Schema):
    seq = Whole(required=True, validate=_SIZE, metadata={"description": "The event's seq"})
    size = Whole(
        validate=_SIZE,
        metadata={"description": "The tree to prove it in (default: the current one)"},
    )


class ConsistencyQuerySchema(ma.Schema):
    old = Whole(
        data_key="from",
        required=True,
        validate=validate.Range(min=0, max=MAX_SIZE),
        metadata={"description": "The size of the older tree"},
    )
    new = Whole(
        data_key="to",
        required=True,
        validate=validate.Range(min=0, max=MAX_SIZE),
        metadata={"description": "The size of the newer tree"},
    )


class InclusionProofSchema(ma.Schema):
    seq = fields.Integer()
    index = fields.Integer(metadata={"description": "The leaf: seq - 1"})
    size = fields.Integer()
    root = Hash(metadata=_BASE64)
    hashes = fields.List(Hash(metadata=_BASE64), metadata={"description": "RFC 9162 audit path"})


class ConsistencyProofSchema(ma.Schema):
    old = fields.Integer(data_key="from")
    new = fields.Integer(data_key="to")
    hashes = fields.List(Hash(metadata=_BASE64), metadata={"description": "RFC 9162 proof"})


class WitnessSchema(ma.Schema):
    name = fields.String()
    vkey = fields.String(metadata={"description": "The witness's cosignature key (C2SP vkey)"})


class LogSchema(ma.Schema):
    origin = fields.String(metadata={"example": "registry.example.kz/licensing"})
    vkey = fields.String(metadata={"description": "The log's C2SP signed-note verifier key"})
    retired_vkeys = fields.List(fields.String())
    size = fields.Integer()
    root = Hash(metadata=_BASE64)
    witnesses = fields.List(fields.Nested(WitnessSchema))
