"""The public view is written by a fast encoder: the same bytes as its schema and the app's JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask

from licensing.api.schemas import FlatJson
from licensing.api.status.schemas import PublicLicenceSchema
from licensing.services.results import PublicLicenceView

NAMES = ["ТОО «Қазақ Майнинг»", 'Quote " and \\ backslash', "Tab\there", "😀 and \u2028", "a/b<c>&"]


@pytest.mark.parametrize("holder_name", NAMES)
@pytest.mark.parametrize("suspended_until", [None, date(2026, 12, 31)])
def test_the_public_view_is_written_as_its_schema_and_the_apps_json_write_it(
    app: Flask, holder_name: str, suspended_until: date | None
) -> None:
    view = PublicLicenceView(
        number="DM-2026-000123", holder_name=holder_name, region="pavlodar", subtype="II",
        status="suspended", standing="suspended", in_force=False,
        status_since=datetime(2026, 11, 28, 19, 51, 57, 123456, tzinfo=UTC),
        expires_on=date(2029, 11, 27), suspended_until=suspended_until,
    )  # fmt: skip
    with app.app_context():
        expected = app.json.response(PublicLicenceSchema().dump(view)).get_data()
    assert FlatJson(PublicLicenceSchema)(view) == expected


def test_only_flat_schemas_are_written_fast() -> None:
    from licensing.api.status.schemas import TimelineSchema

    with pytest.raises(TypeError):
        FlatJson(TimelineSchema)


def test_a_page_of_the_public_register_is_written_as_its_schema_and_the_apps_json_write_it(
    app: Flask,
) -> None:
    from licensing.api.status.schemas import PublicLicencePageSchema
    from licensing.services.results import Page

    views = [
        PublicLicenceView(
            number=f"DM-2026-00012{n}", holder_name=name, region="pavlodar", subtype="I",
            status="issued", standing="in_force", in_force=True,
            status_since=datetime(2026, 11, 28, 19, 51, 57, tzinfo=UTC),
            expires_on=date(2029, 11, 27), suspended_until=None,
        )
        for n, name in enumerate(NAMES)
    ]  # fmt: skip
    found = Page(views, total=41, page=2, page_size=len(views))
    with app.app_context():
        expected = app.json.response(PublicLicencePageSchema().dump(found)).get_data()
    assert FlatJson(PublicLicenceSchema).page(found) == expected
