"""The change feed's and the public register's queries read by PlainQuery, the fast reader of
plain queries: whatever it reads, it reads as the schema does; whatever it is not sure of, it
leaves to the schema (whose problem names the field)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import pytest
from flask import Flask, request
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from licensing.api.changes.schemas import ChangesQuerySchema
from licensing.api.parsing import PlainQuery, RegistryParser
from licensing.api.status.schemas import RegisterQuerySchema
from licensing.domain.lifecycle import STATES
from licensing.domain.regions import REGIONS
from licensing.domain.standing import STANDINGS

APP = Flask(__name__)
READ = PlainQuery(ChangesQuerySchema)
SCHEMAS = [ChangesQuerySchema, RegisterQuerySchema]
KEYS = st.sampled_from(
    ["after", "limit", "licence", "region", "page", "page_size", "q", "status", "standing",
     "Limit", ""]
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from([*STATES, *STANDINGS, "Issued", "ТОО", "ТОО Кен", "a" * 201, "\x00"]),
    st.integers(-3, 2**32).map(str),
    st.sampled_from(["", " 5", "5 ", "+5", "05", "٥", "1e3", "0x10", "1_000", "²", "9" * 30]),
    st.sampled_from([*REGIONS, "Abai", "atlantis"]),
    st.sampled_from(["DM-2026-000123", "dm-2026-000123", "DM-2026-00012", "DM-2026-000123 "]),
    st.text(max_size=8),
)


def by_the_schema(
    query: MultiDict[str, str], schema: type[ma.Schema] = ChangesQuerySchema
) -> dict[str, Any] | None:
    """What webargs and the schema make of the query; None when they refuse it."""
    with APP.test_request_context(query_string=query):
        try:
            return super(RegistryParser, RegistryParser()).parse(  # type: ignore[no-any-return]
                schema, request, location="query"
            )
        except HTTPException:
            return None


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
@given(pairs=st.lists(st.tuples(KEYS, VALUES), max_size=5))
def test_what_the_plain_reader_reads_the_schema_reads_alike(
    schema: type[ma.Schema], pairs: list[tuple[str, str]]
) -> None:
    query = MultiDict(pairs)
    with APP.test_request_context(query_string=query):
        fast = PlainQuery(schema)(request.args)
    if fast is not None:
        assert fast == by_the_schema(query, schema)


@pytest.mark.parametrize(
    "query",
    [{}, {"page": "2"}, {"q": "Кен"}, {"region": "almaty", "status": "suspended"},
     {"standing": "in_force", "page_size": "100"}],
)  # fmt: skip
def test_the_registers_usual_queries_are_read_by_the_plain_reader(query: dict[str, str]) -> None:
    with APP.test_request_context(query_string=query):
        fast = PlainQuery(RegisterQuerySchema)(request.args)
    assert fast is not None and fast == by_the_schema(MultiDict(query), RegisterQuerySchema)


@pytest.mark.parametrize(
    "query",
    [{}, {"after": "0"}, {"after": "19900", "limit": "100"}, {"limit": "1000"},
     {"licence": "DM-2026-000123"}, {"region": "pavlodar", "after": "7"}],
)  # fmt: skip
def test_the_feeds_usual_queries_are_read_by_the_plain_reader(query: dict[str, str]) -> None:
    with APP.test_request_context(query_string=query):
        fast = READ(request.args)
    assert fast is not None and fast == by_the_schema(MultiDict(query))


@pytest.mark.parametrize(
    "query",
    [{"after": "-1"}, {"after": "٥"}, {"limit": "0"}, {"limit": "1001"}, {"region": "atlantis"},
     {"licence": "x"}, {"actor": "someone"}, {"after": ["1", "2"]}],
)  # fmt: skip
def test_what_the_plain_reader_is_not_sure_of_is_left_to_the_schema(query: dict[str, Any]) -> None:
    with APP.test_request_context(query_string=query):
        assert READ(request.args) is None
