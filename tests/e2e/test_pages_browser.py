"""The public pages in a real browser (Debian's Chromium driven by Playwright) against gunicorn:
a person finds a company from the home page, reads why and until when a licence is suspended in
Kazakh and in Russian, and uses the search with the keyboard alone; axe finds no serious or
critical accessibility problem on any page in any language. Screenshots go to
artifacts/screenshots/ for CI to keep."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import Databases
from tests.e2e.conftest import ROOT, Server, launch

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
LANGUAGES = ("kk", "ru", "en")

APPLICATION = {
    "holder_name": "ТОО «Степной Хеш»",
    "holder_bin": "971240001315",
    "subtype": "I",
    "site_address": "г. Экибастуз, промзона ГРЭС-1",
    "region": "pavlodar",
    "capacity_mw": "12.5",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def registry(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str, str]]:
    """One server for this module's tests (they only read), holding a licence in force and one
    suspended for 60 days; the server and both numbers."""
    folder = tmp_path_factory.mktemp("pages")
    server, running = launch(
        databases.fresh(folder), folder, LICENSING_SECURITY_CONTACT="mailto:security@example.kz"
    )
    try:
        yield (server, *_licences(server))
    finally:
        running.stop()


def _licences(server: Server) -> tuple[str, str]:
    regulator = server.flask("tokens", "create", "--role", "regulator", "--name", "web").strip()
    status, _, other = server.request(
        "POST", "/api/v1/licences", {**APPLICATION, "holder_name": "Alatau Compute LLP",
                                     "region": "almaty", "subtype": "II"}, regulator,
    )  # fmt: skip
    assert status == 201
    status, _, licence = server.request("POST", "/api/v1/licences", APPLICATION, regulator)
    assert status == 201
    today = datetime.now(ZoneInfo("Asia/Almaty")).date()  # the registry's day, not the machine's
    until = (today + timedelta(days=60)).isoformat()
    body = {"reason_code": "violation_found", "reason": "Превышение квоты", "legal_basis": "ст. 9",
            "until": until, "decision": {"number": "17-ЛЦ", "date": today.isoformat(),
                                         "by": "licensor"}}  # fmt: skip
    status, _, _ = server.request(
        "POST", f"/api/v1/licences/{licence['number']}/suspend", body, regulator
    )
    assert status == 200
    return licence["number"], other["number"]


def reader(browser: Browser, language: str) -> Page:
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    return context.new_page()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_person_finds_a_suspended_licence_and_reads_why_and_until_when(
    browser: Browser, registry: tuple[Server, str, str]
) -> None:
    server, number, _ = registry
    page = reader(browser, "kk")
    page.goto(server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    shot(page, "home-kk")
    page.get_by_label("Лицензия нөмірі немесе компания атауы").fill("степной")
    page.get_by_role("button", name="Табу").click()
    expect(page).to_have_url(re.compile(r"/register\?q="))
    shot(page, "register-kk")
    page.get_by_role("link", name=number).click()
    expect(page).to_have_url(server.url + f"/licences/{number}")
    expect(page.locator(".badge").first).to_have_text("Тоқтатыла тұрған")
    expect(page.locator("main")).to_contain_text("дейін тоқтатыла тұрды")
    history = page.locator(".timeline")
    expect(history).to_contain_text("Тоқтата тұру")
    expect(history).to_contain_text(
        "Цифрлық активтер туралы заңнама талаптарының бұзылуы анықталды"
    )
    expect(history).to_contain_text("Лицензиардың бұйрығы № 17-ЛЦ")
    qr = page.get_by_role("img", name="Осы бет мекенжайының QR-коды")
    expect(qr).to_be_visible()  # the page's code, an image of its own, drawn at the page's size
    assert qr.evaluate("i => [i.complete, i.naturalWidth > 0, i.width, i.height]") == [
        True, True, 164, 164
    ]  # fmt: skip
    shot(page, "licence-kk")

    page.get_by_role("link", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_url(server.url + f"/licences/{number}")
    expect(page.locator(".badge").first).to_have_text("Приостановлена")
    expect(page.locator("main")).to_contain_text("Действие приостановлено до")
    history = page.locator(".timeline")
    expect(history).to_contain_text("Приостановление")
    expect(history).to_contain_text(
        "Выявлено нарушение требований законодательства о цифровых активах"
    )
    expect(history).to_contain_text("статья 9 Закона Республики Казахстан")
    shot(page, "licence-ru")
    page.goto(server.url + "/about")  # remembered: the cookie now outweighs Accept-Language
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.context.close()


def test_a_downloaded_statement_is_verified_on_the_page_and_by_the_command(
    browser: Browser, registry: tuple[Server, str, str], tmp_path: Path
) -> None:
    server, number, _ = registry
    page = reader(browser, "kk")
    page.goto(server.url + f"/licences/{number}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Анықтаманы жүктеп алу").click()
    assert download.value.suggested_filename == f"{number}.jws"
    saved = tmp_path / f"{number}.jws"
    download.value.save_as(saved)

    page.get_by_role("link", name="Анықтаманы тексеру").first.click()
    page.get_by_label("немесе анықтама не дәлел файлы").set_input_files(saved)
    page.get_by_role("button", name="Тексеру").click()
    answer = page.locator(".answer")
    expect(answer).to_contain_text("Түпнұсқа және өзекті")
    expect(answer).to_contain_text(number)
    expect(answer).to_contain_text("Тоқтатыла тұрған")
    shot(page, "verified-kk")

    printed = server.flask("statements", "verify", str(saved))
    assert f'sub             "{number}"' in printed
    assert '"suspended"' in printed
    assert "ok: genuine and current" in printed

    # the statement with its log proof, downloaded and checked the same two ways
    page.goto(server.url + f"/licences/{number}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Анықтаманы журнал дәлелімен жүктеп алу").click()
    assert download.value.suggested_filename == f"{number}.tlog-proof"
    proof = tmp_path / f"{number}.tlog-proof"
    download.value.save_as(proof)
    page.get_by_role("link", name="Анықтаманы тексеру").first.click()
    page.get_by_label("немесе анықтама не дәлел файлы").set_input_files(proof)
    page.get_by_role("button", name="Тексеру").click()
    expect(page.locator(".answer")).to_contain_text("Түпнұсқа және өзекті")
    expect(page.locator(".answer")).to_contain_text("ағаштың")
    shot(page, "verified-proof-kk")
    checked = server.flask("statements", "verify", str(proof))
    assert "ok: genuine and current" in checked and "of a tree of" in checked
    page.context.close()


def test_the_search_works_with_the_keyboard_alone(
    browser: Browser, registry: tuple[Server, str, str]
) -> None:
    server, _, other = registry
    page = reader(browser, "en")
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    for _ in range(10):  # from the content, onward to the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("alatau")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/register\?q=alatau"))
    link = page.get_by_role("link", name=other)
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url + f"/licences/{other}")
    expect(page.locator(".badge").first).to_have_text("In force")
    page.context.close()


def test_no_page_has_a_serious_accessibility_problem_in_any_language(
    browser: Browser, registry: tuple[Server, str, str]
) -> None:
    server, number, _ = registry
    axe = Axe()
    paths = {
        "home": "/",
        "register": "/register",
        "licence": f"/licences/{number}",
        "verify": "/verify",
        "about": "/about",
        "security": "/security",
        "not-found": "/licences/DM-0000-000000",
    }
    found = []
    for language in LANGUAGES:
        # axe is injected as a script: only the test's own context may bypass the pages' policy
        context = browser.new_context(
            bypass_csp=True, locale=language, extra_http_headers={"Accept-Language": language}
        )
        page = context.new_page()
        for name, path in paths.items():
            page.goto(server.url + path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            shot(page, f"{name}-{language}")
            results = axe.run(page)
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    found.append((language, name, violation["id"], violation["help"]))
        context.close()
    assert found == []


def test_pages_load_nothing_the_policy_refuses(
    browser: Browser, registry: tuple[Server, str, str]
) -> None:
    server, number, _ = registry
    page = reader(browser, "ru")
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if message.type == "error" else None
    )
    for path in ("/", "/register", f"/licences/{number}", "/verify", "/about", "/security"):
        page.goto(server.url + path)
    # the stylesheet applied: the header is dark, as site.css says
    colour = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
    assert colour == "rgb(11, 26, 46)"
    assert refused == []
    page.context.close()
