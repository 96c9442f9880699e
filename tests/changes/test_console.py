"""The console's subscriptions: regulators see each one's health and log, and pause or resume it
with a form that carries its token."""

from __future__ import annotations

from flask import Flask

from tests.changes.conftest import subscribe
from tests.conftest import Clock
from tests.console.conftest import csrf_token, english, make_person, sign_in
from tests.factories import API, bearer, issue


def test_a_regulator_sees_subscriptions_and_pauses_and_resumes_one(
    hooks_app: Flask, clock: Clock
) -> None:
    bank = bearer(hooks_app, "subscriber", name="bank")
    made = subscribe(hooks_app.test_client(), bank, None, url="http://127.0.0.1:9/hook")
    issue(hooks_app.test_client(), bearer(hooks_app, "regulator"))
    officer = english(hooks_app.test_client())
    sign_in(officer, make_person(hooks_app, clock, "Aigerim", "regulator"), clock)

    listing = officer.get("/console/subscriptions")
    page = f"/console/subscriptions/{made['id']}"
    answer = officer.post(f"{page}/pause", data={"csrf_token": csrf_token(officer, page)})
    after_pause = officer.get(page).text
    state = hooks_app.test_client().get(f"{API}/subscriptions/{made['id']}", headers=bank)
    resumed = officer.post(f"{page}/resume", data={"csrf_token": csrf_token(officer, page)})

    assert listing.status_code == 200
    assert made["id"] in listing.text and "bank" in listing.text and "Active" in listing.text
    assert answer.status_code == 303
    assert "Paused" in after_pause and "Resume deliveries" in after_pause
    assert state.get_json()["status"] == "paused"
    assert resumed.status_code == 303
    assert "Pause deliveries" in officer.get(page).text
    assert "Delivery log" in after_pause


def test_a_form_without_its_token_changes_nothing(hooks_app: Flask, clock: Clock) -> None:
    bank = bearer(hooks_app, "subscriber")
    made = subscribe(hooks_app.test_client(), bank, None, url="http://127.0.0.1:9/hook")
    officer = english(hooks_app.test_client())
    sign_in(officer, make_person(hooks_app, clock, "Aigerim", "regulator"), clock)

    answer = officer.post(f"/console/subscriptions/{made['id']}/pause")

    assert answer.status_code in (400, 403)
    state = hooks_app.test_client().get(f"{API}/subscriptions/{made['id']}", headers=bank)
    assert state.get_json()["status"] == "active"


def test_auditors_and_strangers_do_not_reach_the_page(hooks_app: Flask, clock: Clock) -> None:
    auditor = english(hooks_app.test_client())
    sign_in(auditor, make_person(hooks_app, clock, "Dana", "auditor"), clock)

    assert auditor.get("/console/subscriptions").status_code == 403
    assert hooks_app.test_client().get("/console/subscriptions").status_code == 302
