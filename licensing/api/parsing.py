"""How requests are read: JSON bodies only (415 otherwise), parsed strictly (bounded nesting, no
repeated keys, numbers as exact decimals of bounded length), and no unknown query parameters."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort
from werkzeug.datastructures import MultiDict

from licensing.api import problems

MAX_DEPTH = 8  # the deepest body the API takes is two levels; anything far deeper is not ours
MAX_NUMBER_CHARS = 32


class BodyRefused(ValueError):
    """A request body that is not a JSON document the registry reads."""


def parse_json_body(body: bytes) -> Any:
    """The JSON document in `body`, read the way the registry reads every body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyRefused("The body is not UTF-8 text.") from None
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_integer,
            parse_float=_decimal,
            parse_constant=_constant,
        )
    except RecursionError:
        raise BodyRefused(f"The JSON is nested deeper than {MAX_DEPTH} levels.") from None
    except json.JSONDecodeError as error:
        raise BodyRefused(f"The body is not valid JSON: {error.msg} at {error.pos}.") from None
    if _depth(document) > MAX_DEPTH:
        raise BodyRefused(f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    return document


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            shown = key if len(key) <= 64 else key[:64] + "…"
            raise BodyRefused(f"The key {shown!r} appears twice in one object.")
        document[key] = value
    return document


def _number_text(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise BodyRefused(f"A number in the body is longer than {MAX_NUMBER_CHARS} characters.")
    return text


def _integer(text: str) -> int:
    return int(_number_text(text))


def _decimal(text: str) -> Decimal:
    # exactly the number that was written: 12.5 stays 12.5, never a float's neighbour of it
    return Decimal(_number_text(text))


def _constant(name: str) -> Any:
    raise BodyRefused(f"{name} is not a JSON number.")


def _depth(document: Any) -> int:
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
    return deepest


class PlainQuery:
    """Reads a query string as `schema` loads it, for a schema of plain fields (whole numbers and
    strings, with their validators and defaults), without webargs' and marshmallow's machinery
    per request: for the hottest public routes with a query, where that machinery cost more than
    the answer's own work. It answers only what it is sure of: a parameter given twice, one the
    schema does not know, a value that is not plain ASCII digits where a number is due, or one a
    validator refuses, and it returns None, so that the schema itself reads the query and answers
    as it always does (a problem naming the field). The schema stays the one declaration, and the
    OpenAPI document's; a property test holds the two to the same result."""

    def __init__(self, schema: type[ma.Schema]) -> None:
        instance = schema()
        if any(instance._hooks.values()):
            raise TypeError(f"{schema.__name__}: a schema with hooks is not plain")
        self.fields: dict[str, tuple[str, bool, list[Callable[[Any], Any]]]] = {}
        self.defaults: dict[str, Any] = {}
        for name, field in instance.fields.items():
            if type(field) not in (ma.fields.Integer, ma.fields.String) or field.attribute:
                raise TypeError(f"{schema.__name__}.{name}: only whole numbers and strings")
            if isinstance(field, ma.fields.Integer) and field.strict:
                raise TypeError(f"{schema.__name__}.{name}: a query's numbers come as text")
            key = field.data_key or name
            self.fields[key] = (name, isinstance(field, ma.fields.Integer), field.validators)
            if field.required:
                raise TypeError(f"{schema.__name__}.{name}: required query fields are not plain")
            if field.load_default is not ma.missing:
                self.defaults[name] = field.load_default

    def __call__(self, args: MultiDict[str, str]) -> dict[str, Any] | None:
        """The query as the schema loads it, or None: let the schema read it."""
        read = {
            name: default() if callable(default) else default
            for name, default in self.defaults.items()
        }
        for key, values in args.lists():
            known = self.fields.get(key)
            if known is None or len(values) != 1:
                return None
            name, number, validators = known
            value: Any = values[0]
            if number:
                if not (value.isascii() and value.isdigit() and len(value) <= 18):
                    return None
                value = int(value)
            try:
                for validator in validators:
                    if validator(value) is False:
                        return None
            except ma.ValidationError:
                return None
            read[name] = value
        return read


class RegistryParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }
    plain_queries: dict[type[ma.Schema], PlainQuery] = {}

    def parse(self, argmap: Any, req: flask.Request | None = None, **kwargs: Any) -> Any:
        plain = self.plain_queries.get(argmap) if kwargs.get("location") == "query" else None
        if plain is not None and kwargs.get("validate") is None:
            read = plain((req or flask.request).args)
            if read is not None:
                return read
        return super().parse(argmap, req, **kwargs)

    def _get_schema(self, argmap: Any, req: flask.Request) -> ma.Schema:
        # webargs builds a schema from its class on every request (a deep copy of every field);
        # marshmallow's schemas keep no state between loads, so one instance per class serves all
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _schema(argmap)
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req: flask.Request) -> Any:
        # webargs treats a body of another type as "no body", which would surface as a confusing
        # "missing field" error; a client that sent form data or XML needs to hear 415.
        if not core.is_json(req.mimetype):
            abort(415)
        body = req.get_data(cache=True)  # over MAX_CONTENT_LENGTH, chunked or not: 413
        if not body.strip():
            abort(400, messages={"json": ["The body is empty: send a JSON object."]})
        try:
            return parse_json_body(body)
        except BodyRefused as error:
            abort(400, messages={"json": [str(error)]})


@cache
def _schema(schema: type[ma.Schema]) -> ma.Schema:
    return schema()


class Blueprint(SmorestBlueprint):
    """An API blueprint: reads requests as above and answers every error as problem+json."""

    ARGUMENTS_PARSER = RegistryParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        problems.handle_errors_of(self)

    def plain_query(self, schema: type[ma.Schema]) -> Callable[..., Any]:
        """`arguments(schema, location="query")`, the query read by PlainQuery whenever it can."""
        self.ARGUMENTS_PARSER.plain_queries[schema] = PlainQuery(schema)
        return self.arguments(schema, location="query")
