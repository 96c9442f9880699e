"""What the console answers a form it never made: a confirmation key posted again with other
values, a form without its version, numbers and days in other notations, dates no trail holds.
Always a page with a clear status, never an error of ours, and nothing written."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console.conftest import form_key, post_form
from tests.factories import written

APPLICATION = {
    "holder_name": "ТОО Степь", "holder_bin": "971240001315", "subtype": "II",
    "site_address": "г. Павлодар", "region": "pavlodar", "capacity_mw": "7.5",
    "issued_on": "", "expires_on": "",
}  # fmt: skip
SUSPENSION = {
    "reason_code": "violation_found", "reason": "Превышение квоты.", "legal_basis": "ст. 9",
    "until": "2026-05-10", "decision_number": "17-ЛЦ/2026", "decision_date": "2026-03-10",
    "decision_by": "licensor",
}  # fmt: skip


def test_a_confirmation_key_posted_again_with_other_values_is_refused(
    officer_client: FlaskClient, number: str, app: Flask
) -> None:
    path = f"/console/licences/{number}/suspend"
    data = {**SUSPENSION, "version": "1"}
    key = form_key(post_form(officer_client, path, data))
    assert (
        post_form(officer_client, path, {**data, "confirm": "1", "form_key": key}).status_code
        == 303
    )
    before = written(app)
    other = {**data, "reason": "Другое основание.", "version": "2", "confirm": "1", "form_key": key}
    answer = post_form(officer_client, path, other)
    assert answer.status_code == 400
    assert "text/html" in answer.content_type
    reissued = post_form(officer_client, "/console/licences/new",
                         {**APPLICATION, "confirm": "1", "form_key": key})  # fmt: skip
    assert reissued.status_code == 400
    assert written(app) == before


@pytest.mark.parametrize("action", ["amend", "suspend"])
@pytest.mark.parametrize("version", [None, "", "two", "-1"])
def test_a_form_without_its_version_is_not_read(
    officer_client: FlaskClient, number: str, app: Flask, action: str, version: str | None
) -> None:
    data = {"holder_name": "ТОО Другое"} if action == "amend" else dict(SUSPENSION)
    if action == "amend":
        data |= {"subtype": "I", "site_address": "x", "region": "pavlodar", "capacity_mw": "12.5",
                 "reason": "", "legal_basis": ""}  # fmt: skip
    if version is not None:
        data["version"] = version
    before = written(app)
    answer = post_form(officer_client, f"/console/licences/{number}/{action}", data)
    assert answer.status_code == 400
    assert written(app) == before


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("capacity_mw", "١٢"),  # Arabic-Indic digits
        ("capacity_mw", "1_000"),
        ("capacity_mw", "1e3"),
        ("issued_on", "2026-W10-1"),  # an ISO week date
        ("issued_on", "２０２６-03-01"),  # full-width digits
    ],
)
def test_numbers_and_days_are_read_in_ascii_digits_only(
    officer_client: FlaskClient, app: Flask, field: str, typed: str
) -> None:
    before = written(app)
    answer = post_form(officer_client, "/console/licences/new", {**APPLICATION, field: typed})
    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text
    assert written(app) == before


def test_a_number_with_a_decimal_comma_still_reads(officer_client: FlaskClient) -> None:
    page = post_form(
        officer_client, "/console/licences/new", {**APPLICATION, "capacity_mw": "3,50"}
    )
    assert page.status_code == 200 and "<dd>3.5</dd>" in page.text


def test_the_reviews_change_button_goes_back_to_the_form_as_typed(
    officer_client: FlaskClient,
) -> None:
    review = post_form(officer_client, "/console/licences/new", APPLICATION)
    assert review.status_code == 200 and 'name="edit"' in review.text
    back = post_form(officer_client, "/console/licences/new", {**APPLICATION, "edit": "1"})
    assert back.status_code == 200
    assert 'name="holder_name" type="text" value="ТОО Степь"' in back.text
    assert 'name="confirm"' not in back.text


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "3000-01-01"])
def test_a_trail_filter_on_a_day_no_trail_holds_is_refused(
    auditor_client: FlaskClient, day: str
) -> None:
    page = auditor_client.get(f"/console/audit?since={day}")
    assert page.status_code == 422 and 'id="since-error"' in page.text
    assert auditor_client.get(f"/console/audit/export/csv?until={day}").status_code == 400
