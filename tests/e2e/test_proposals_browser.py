"""Four eyes in a real browser (Chromium) against gunicorn: one officer proposes a revocation,
another approves it with a fresh code from their authenticator app, and the licence is revoked."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_console_browser import (
    CHROMIUM,
    TODAY,
    Accessibility,
    browser,  # noqa: F401 (the module's browser fixture)
    set_up,
    sign_in,
)
from tests.factories import application

pytestmark = [pytest.mark.e2e]
TOTP_PERIOD = 30


def next_step(secret: str) -> str:
    """The code of the time-step after the one in which this officer last used one: wait for it
    to begin, since a code is accepted one step early at most."""
    time.sleep(TOTP_PERIOD - time.time() % TOTP_PERIOD + 0.5)
    return pyotp.TOTP(secret).at(time.time() + TOTP_PERIOD)


def test_one_officer_proposes_a_revocation_and_another_approves_it(
    start_server: Callable[..., Server], browser: Any,  # noqa: F811
) -> None:  # fmt: skip
    assert CHROMIUM
    server = start_server(LICENSING_APPROVAL_REQUIRED="revoke")
    token = server.flask("tokens", "create", "--role", "regulator", "--name", "Intake").strip()
    status, _, issued = server.request("POST", "/api/v1/licences", application(), token)
    assert status == 201, issued
    number = issued["number"]
    audit = Accessibility()

    second = browser.new_context(bypass_csp=True, locale="en-GB").new_page()
    berik = set_up(second, server, "regulator", "Berik", audit)
    sign_in(second, server, "Berik", berik, audit)

    first = browser.new_context(bypass_csp=True, locale="en-GB").new_page()
    aigerim = set_up(first, server, "regulator", "Aigerim", audit)
    sign_in(first, server, "Aigerim", aigerim, audit)
    first.goto(f"{server.url}/console/licences/{number}/revoke")
    first.check("#reason_code-unremedied_violation")
    first.fill("#reason", "Нарушение не устранено в срок.")
    first.fill("#legal_basis", "Закон РК «О цифровых активах», ст. 9")
    first.fill("#decision_number", "21-ЛЦ/2026")
    first.fill("#decision_date", TODAY())
    first.click("main form button[type=submit]")
    assert "needs a second officer" in first.locator("main").inner_text()
    first.click("button[name=confirm]")
    assert "Proposed; waiting for a second officer." in first.locator("main").inner_text()
    audit.check(first)
    assert "Approve and record the decision" not in first.locator("main").inner_text()

    second.goto(f"{server.url}/console/")
    audit.check(second)
    second.locator("#awaiting").get_by_role("link", name=number).wait_for()
    second.locator("#awaiting tbody tr").first.locator("a").first.click()
    audit.check(second)
    assert berik
    second.fill("#code", next_step(berik))
    second.click("text=Approve and record the decision")
    shown = second.locator("main").inner_text()
    assert "Approved: the decision was recorded." in shown and "Approved and carried out" in shown

    second.goto(f"{server.url}/console/licences/{number}")
    shown = second.locator("main").inner_text()
    assert "Revoked" in shown and "21-ЛЦ/2026" in shown
    public = browser.new_context(locale="en-GB").new_page()
    public.goto(f"{server.url}/licences/{number}")
    shown = public.locator("main").inner_text()
    assert "Revoked" in shown and "Aigerim" not in shown and "Berik" not in shown
    assert not audit.found, audit.found
