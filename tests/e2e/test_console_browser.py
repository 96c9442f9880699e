"""The console in a real browser (Chromium) against gunicorn: an officer signs in with a second
factor, resumes an overdue suspension on a decision, meets a conflict; an auditor exports and
verifies; axe finds nothing serious on any console page."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest

from licensing import clock, create_app
from licensing.domain.dates import add_months
from licensing.domain.decider import ChangeStatus
from licensing.domain.decisions import Decision
from licensing.domain.licence import Application
from licensing.domain.status_changes import StatusChange
from licensing.models import db
from licensing.services import licences
from licensing.services.context import Actor, Context
from tests.e2e.conftest import Server

playwright_api = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
PASSWORD = "steppe-falcon-ferry-47"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SERIOUS = {"serious", "critical"}


def TODAY() -> str:
    """Today where legal dates are kept (the default time zone)."""
    return datetime.now(ZoneInfo("Asia/Almaty")).date().isoformat()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Accessibility:
    """Runs axe on each page it is shown and keeps what is serious."""

    def __init__(self) -> None:
        self.axe = axe_module.Axe()
        self.found: dict[str, list[str]] = {}

    def check(self, page: Any) -> None:
        violations = self.axe.run(page).response["violations"]
        serious = [f"{v['id']}: {v['help']}" for v in violations if v.get("impact") in SERIOUS]
        if serious:
            self.found[page.url] = serious


def seed(server: Server, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Two licences written as if months ago: one suspended then, its suspension now overdue,
    and one in force."""
    app = create_app({
        "LICENSING_DATABASE_URL": server.env["LICENSING_DATABASE_URL"],
        "LICENSING_SIGNING_KEY_FILE": server.env["LICENSING_SIGNING_KEY_FILE"],
    })  # fmt: skip
    past = clock.now() - timedelta(days=100)
    monkeypatch.setattr(clock, "now", lambda: past)
    with app.app_context():
        ctx = Context(Actor("seed", "regulator"), app.config["LICENSING_POLICY"], "seed")
        today = ctx.policy.today(past)
        numbers = []
        for name in ("ТОО «Просрочено»", "ТОО «Конфликт»"):
            application = Application(
                holder_name=name, holder_bin="971240001315", subtype="I",
                site_address="Павлодар, участок 1", region="pavlodar",
                capacity_mw=Decimal("5"), issued_on=today - timedelta(days=10),
            )  # fmt: skip
            numbers.append(licences.issue(ctx, application).licence.number)
        change = StatusChange(
            reason_code="violation_found", reason="Превышение квоты.", legal_basis="ст. 9",
            decision=Decision("1-ЛЦ", today, "licensor"), until=today + timedelta(days=40),
        )  # fmt: skip
        licences.change_status(ctx, numbers[0], ChangeStatus("suspend", change))
        db.engine.dispose()
    monkeypatch.undo()
    return numbers[0], numbers[1]


def set_up(page: Any, server: Server, role: str, name: str, audit: Accessibility) -> str | None:
    link = server.flask(
        "users", "create", "--role", role, "--name", name, "--email", f"{name}@gov.kz"
    )
    page.goto(link.strip().replace("http://localhost:5000", server.url))
    audit.check(page)
    secret = page.locator("#totp-secret").inner_text() if role == "regulator" else None
    page.fill("#password", PASSWORD)
    page.fill("#repeated", PASSWORD)
    if secret:
        page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    return secret


def sign_in(page: Any, server: Server, name: str, secret: str | None, audit: Accessibility) -> None:
    page.goto(server.url + "/console/sign-in")
    audit.check(page)
    page.fill("#login", name)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    if secret:
        audit.check(page)
        # the set-up spent this time-step's code: the next step's is accepted (one step of drift)
        page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
        page.click("main button[type=submit]")
    page.wait_for_url(server.url + "/console/")


def test_an_officer_resumes_an_overdue_suspension_and_an_auditor_verifies(
    start_server: Callable[..., Server], browser: Any, tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    server = start_server()
    overdue, other = seed(server, tmp_path, monkeypatch)
    audit = Accessibility()
    context = browser.new_context(bypass_csp=True, locale="en-GB")
    page = context.new_page()

    secret = set_up(page, server, "regulator", "Aigerim", audit)
    sign_in(page, server, "Aigerim", secret, audit)
    audit.check(page)
    page.locator("#overdue").get_by_role("link", name=overdue).click()
    audit.check(page)
    page.click(f"a[href$='/{overdue}/resume']")
    audit.check(page)
    page.check("#reason_code-violation_remedied")
    page.fill("#reason", "Нарушение устранено.")
    page.fill("#legal_basis", "ст. 9")
    page.fill("#decision_number", "17-ЛЦ/2026")
    page.fill("#decision_date", TODAY())
    page.click("main form button[type=submit]")
    audit.check(page)
    page.click("button[name=confirm]")
    assert "17-ЛЦ/2026" in page.locator("main").inner_text()
    audit.check(page)

    public = context.new_page()
    answer = public.goto(f"{server.url}/licences/{overdue}")
    assert answer is not None and answer.status == 200
    shown = public.locator("main").inner_text()
    assert "In force" in shown and "17-ЛЦ/2026" in shown  # at once, no cache in between
    public.close()
    page.goto(f"{server.url}/console/audit?licence={overdue}")
    audit.check(page)
    assert "17-ЛЦ/2026" in page.locator("main").inner_text()
    page.goto(f"{server.url}/console/licences")
    audit.check(page)
    page.goto(f"{server.url}/console/licences/new")
    audit.check(page)

    # another officer suspends the second licence while this one has its form open
    page.goto(f"{server.url}/console/licences/{other}/suspend")
    page.check("#reason_code-violation_found")
    page.fill("#reason", "Превышение.")
    page.fill("#legal_basis", "ст. 9")
    until = add_months(date.fromisoformat(TODAY()), 2).isoformat()
    page.fill("#until", until)
    page.fill("#decision_number", "18-ЛЦ/2026")
    page.fill("#decision_date", TODAY())
    page.click("main form button[type=submit]")
    token = server.flask(
        "tokens", "create", "--role", "regulator", "--name", "Other office"
    ).strip()
    body = {
        "reason_code": "holder_request", "reason": "По заявлению.", "legal_basis": "ст. 9",
        "until": until, "decision": {"number": "5-ЛЦ", "date": TODAY(), "by": "licensor"},
    }  # fmt: skip
    status, _, answer_body = server.request(
        "POST", f"/api/v1/licences/{other}/suspend", body, token
    )
    assert status == 200, answer_body
    page.click("button[name=confirm]")
    text = page.locator("main").inner_text()
    assert "version 1" in text and "version 2" in text
    audit.check(page)
    page.click("nav button[type=submit]")  # sign out

    set_up(page, server, "auditor", "Dana", audit)
    sign_in(page, server, "Dana", None, audit)
    page.goto(f"{server.url}/console/audit")
    audit.check(page)
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert overdue in download.value.path().read_text(encoding="utf-8")
    page.goto(f"{server.url}/console/audit/verify")
    page.click("main form button[type=submit]")
    assert "The chain and the register hold." in page.locator("main").inner_text()
    audit.check(page)
    context.close()
    assert not audit.found, audit.found


SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_each_radio_button_sits_beside_its_label_on_the_status_forms(
    start_server: Callable[..., Server], browser: Any, tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch, action: str,
) -> None:  # fmt: skip
    server = start_server()
    _, in_force = seed(server, tmp_path, monkeypatch)
    audit = Accessibility()
    screen = {"width": 1024, "height": 900}
    context = browser.new_context(bypass_csp=True, locale="ru-RU", viewport=screen)
    page = context.new_page()
    secret = set_up(page, server, "regulator", "Aigerim", audit)
    sign_in(page, server, "Aigerim", secret, audit)
    page.goto(f"{server.url}/console/licences/{in_force}/{action}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{action}-form-ru.png"), full_page=True)
    radios = page.locator("main input[type=radio]")
    assert radios.count() >= 3  # reasons, and who decided
    for index in range(radios.count()):
        radio = radios.nth(index)
        name = radio.get_attribute("id")
        label = page.locator(f"label[for='{name}']")
        assert label.count() == 1, name  # each radio named by its own label
        button, words = radio.bounding_box(), label.bounding_box()
        assert button and words
        # on one line: the same vertical centre (to a pixel or two), the label to the right
        assert abs((button["y"] + button["height"] / 2) - (words["y"] + words["height"] / 2)) < 3
        assert words["x"] >= button["x"] + button["width"]
        assert words["x"] - (button["x"] + button["width"]) < 24  # beside it, not far off
        # grouped: every radio in a fieldset whose legend says what the choice is
        legend = radio.evaluate("r => r.closest('fieldset')?.querySelector('legend')?.innerText")
        assert legend, name
    audit.check(page)
    context.close()
    assert not audit.found, audit.found
